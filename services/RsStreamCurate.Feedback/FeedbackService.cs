using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Contracts;
using RsStreamCurate.Feedback.Api;
using RsStreamCurate.Feedback.Storage;

namespace RsStreamCurate.Feedback;

/// <summary>Outcome of one submitted preference.</summary>
public sealed record PreferenceOutcome(string PreferenceId, bool Stored);

/// <summary>
/// Stores validated labels, keeps the <see cref="LabelIndex"/> and the metrics up to date, and publishes
/// <see cref="PreferenceRecorded"/> for each newly stored label.
/// </summary>
public sealed class FeedbackService(IPreferenceStore store, LabelIndex index, IPreferenceEventPublisher publisher, ILogger<FeedbackService> logger)
{
    private readonly SemaphoreSlim _openGate = new(1, 1);
    private volatile bool _opened;

    // Labels stored whose PreferenceRecorded could not be published. A retry of the same request publishes them.
    private readonly ConcurrentDictionary<string, PreferenceRecord> _unpublished = new(StringComparer.Ordinal);

    public LabelIndex Index => index;

    /// <summary>Opens the store once and loads the stored labels into the index.</summary>
    public async Task EnsureOpenAsync(CancellationToken cancellationToken)
    {
        if (_opened)
        {
            return;
        }

        await _openGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_opened)
            {
                return;
            }

            foreach (var record in await store.OpenAsync(cancellationToken).ConfigureAwait(false))
            {
                index.Add(record);
            }

            index.PublishMetrics();
            _opened = true;
        }
        finally
        {
            _openGate.Release();
        }
    }

    /// <summary>
    /// Stores the labels that are new, then publishes their events. Throws when storing fails, and also when
    /// publishing fails after the labels were stored. A retry then finds them stored and publishes again.
    /// </summary>
    public async Task<IReadOnlyList<PreferenceOutcome>> RecordAsync(string labellerId, IReadOnlyList<PreferenceRecord> records, CancellationToken cancellationToken)
    {
        await EnsureOpenAsync(cancellationToken).ConfigureAwait(false);

        var added = await store.AddAsync(records, cancellationToken).ConfigureAwait(false);
        var addedIds = added.Select(r => r.PreferenceId).ToHashSet(StringComparer.Ordinal);
        foreach (var record in added)
        {
            index.Add(record);
            FeedbackMetrics.Labels.WithLabels(record.LabellerId, record.Dimension ?? QualityDimensions.None).Inc();
        }

        index.PublishMetrics();
        int duplicates = records.Count - added.Count;
        FeedbackMetrics.DuplicateLabels.Inc(duplicates);
        Log.LabelsStored(logger, labellerId, added.Count, duplicates);

        var toPublish = new List<PreferenceRecord>(added);
        foreach (var record in records)
        {
            if (!addedIds.Contains(record.PreferenceId) && _unpublished.TryGetValue(record.PreferenceId, out var stored))
            {
                toPublish.Add(stored);
            }
        }

        await PublishAsync(labellerId, toPublish, cancellationToken).ConfigureAwait(false);

        // Only the first of several equal items in one batch counts as stored.
        var outcomes = new List<PreferenceOutcome>(records.Count);
        foreach (var record in records)
        {
            outcomes.Add(new PreferenceOutcome(record.PreferenceId, addedIds.Remove(record.PreferenceId)));
        }

        return outcomes;
    }

    private async Task PublishAsync(string labellerId, List<PreferenceRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return;
        }

        try
        {
            await publisher.PublishAsync(records.Select(ToEvent).ToList(), cancellationToken).ConfigureAwait(false);
            foreach (var record in records)
            {
                _unpublished.TryRemove(record.PreferenceId, out _);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // NOTE: the set of unpublished labels lives in memory, so a restart before the retry loses their events.
            foreach (var record in records)
            {
                _unpublished[record.PreferenceId] = record;
            }

            Log.PublishFailed(logger, ex, labellerId, records.Count);
            throw new EventPublishException($"{records.Count} labels were stored, but their PreferenceRecorded events could not be published; retry the request.", ex);
        }
    }

    private static PreferenceRecorded ToEvent(PreferenceRecord record) => new()
    {
        PreferenceId = record.PreferenceId,
        ImageId = record.ImageId,
        ChosenText = record.ChosenText,
        RejectedText = record.RejectedText,
        ChosenCandidateId = record.ChosenCandidateId,
        RejectedCandidateId = record.RejectedCandidateId,
        Dimension = record.Dimension,
        LabellerId = record.LabellerId,
        RecordedAt = record.RecordedAt,
    };
}

/// <summary>Sends <see cref="PreferenceRecorded"/> events to the control plane.</summary>
public interface IPreferenceEventPublisher
{
    Task PublishAsync(IReadOnlyList<PreferenceRecorded> events, CancellationToken cancellationToken);
}

/// <summary>Publishes the events on the MassTransit bus.</summary>
public sealed class MassTransitPreferenceEventPublisher(IBus bus) : IPreferenceEventPublisher
{
    public Task PublishAsync(IReadOnlyList<PreferenceRecorded> events, CancellationToken cancellationToken) =>
        bus.PublishBatch(events, cancellationToken);
}

/// <summary>Raised when labels were stored but their events could not be published.</summary>
public sealed class EventPublishException(string message, Exception inner) : Exception(message, inner);

/// <summary>Opens the label store at start, so that an unreachable database or a corrupt file fails the start.</summary>
internal sealed class FeedbackStoreOpener(FeedbackService service) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => service.EnsureOpenAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
