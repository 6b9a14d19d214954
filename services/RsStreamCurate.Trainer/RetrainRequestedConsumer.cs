using MassTransit;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Contracts;

namespace RsStreamCurate.Trainer;

/// <summary>Runs a retrain for each <see cref="RetrainRequested"/> and publishes <see cref="ModelPublished"/> or <see cref="ModelRejected"/>.</summary>
public sealed partial class RetrainRequestedConsumer(RetrainCoordinator coordinator, ILogger<RetrainRequestedConsumer> logger) : IConsumer<RetrainRequested>
{
    /// <summary>Queue name, shared by every trainer so that one of them takes each request.</summary>
    public const string QueueName = "rscurate-trainer";

    public async Task Consume(ConsumeContext<RetrainRequested> context)
    {
        var request = context.Message;
        LogReceived(request.RequestId, request.BaseModelVersion, request.NewLabelCount, request.Trigger);
        try
        {
            var outcome = await coordinator.RetrainAsync(request, context.CancellationToken).ConfigureAwait(false);
            if (outcome.Published is { } published)
            {
                await context.Publish(published, context.CancellationToken).ConfigureAwait(false);
            }

            if (outcome.Rejected is { } rejected)
            {
                await context.Publish(rejected, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or ArgumentException)
        {
            // A failed training is reported as a rejection, so the retrain policy can accept the next request.
            LogFailed(ex, request.RequestId);
            await context.Publish(new ModelRejected
            {
                CandidateVersion = "none",
                CurrentVersion = request.BaseModelVersion,
                CandidateAccuracy = 0,
                CurrentAccuracy = 0,
                Tolerance = 0,
                Reason = $"retraining failed: {ex.Message}",
                RejectedAt = DateTimeOffset.UtcNow,
                RequestId = request.RequestId,
            }, context.CancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(4100, LogLevel.Information, "Retrain request {RequestId} received: base {BaseModelVersion}, {NewLabelCount} new labels, trigger {Trigger}")]
    private partial void LogReceived(string requestId, string baseModelVersion, int newLabelCount, string trigger);

    [LoggerMessage(4101, LogLevel.Error, "Retrain request {RequestId} failed")]
    private partial void LogFailed(Exception exception, string requestId);
}
