using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;
using RsStreamCurate.Contracts;
using RsStreamCurate.Feedback.Storage;
using RsStreamCurate.Scoring;
using RsStreamCurate.Scoring.Registry;
using RsStreamCurate.Synthesis;
using RsStreamCurate.Training;
using RsStreamCurate.Training.Retraining;

namespace RsStreamCurate.Trainer;

/// <summary>Outcome of one retrain: the event to publish and the numbers behind it.</summary>
public sealed record RetrainOutcome(ModelPublished? Published, ModelRejected? Rejected);

/// <summary>
/// Retrains the reward model. It fine-tunes the current version on the synthetic pairs plus every human label
/// (weighted up) and evaluates the candidate and the current version on one fixed held-out set of both kinds. The
/// candidate is then registered as published (the new current version) or rejected. One retrain runs at a time.
/// </summary>
public sealed partial class RetrainCoordinator
{
    private static readonly Counter Outcomes = Metrics.CreateCounter(
        "rscurate_retrains_total", "Finished retrains of the reward model, by outcome.", "outcome");

    private static readonly Histogram Duration = Metrics.CreateHistogram(
        "rscurate_retrain_duration_seconds",
        "Wall time of one retrain, from the request to the published or rejected model.",
        new HistogramConfiguration { Buckets = [5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600] });

    private const int SyntheticSeed = 7301;
    private const int HeldOutSeed = 7302;

    private readonly TrainerOptions _options;
    private readonly FileModelRegistry _registry;
    private readonly PostgresModelRegistry? _postgresRegistry;
    private readonly TimeProvider _time;
    private readonly ILogger<RetrainCoordinator> _logger;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    public RetrainCoordinator(IOptions<TrainerOptions> options, TimeProvider time, ILogger<RetrainCoordinator> logger)
    {
        _options = options.Value;
        _registry = new FileModelRegistry(_options.RegistryDirectory);
        _postgresRegistry = string.IsNullOrWhiteSpace(_options.RegistryPostgresConnectionString)
            ? null
            : new PostgresModelRegistry(_options.RegistryPostgresConnectionString);
        _time = time;
        _logger = logger;
    }

    public IModelRegistry Registry => _registry;

    /// <summary>Returns the current version, registering <see cref="TrainerOptions.InitialCheckpoint"/> first when the registry is empty.</summary>
    public async Task<ModelRecord> GetOrBootstrapCurrentAsync(CancellationToken cancellationToken)
    {
        await _registry.InitializeAsync(cancellationToken).ConfigureAwait(false);
        if (await _registry.GetCurrentAsync(cancellationToken).ConfigureAwait(false) is { } current)
        {
            return current;
        }

        var metadata = RewardCheckpoint.ReadMetadata(_options.InitialCheckpoint);
        var bootstrap = new ModelRecord
        {
            Version = metadata.ModelVersion,
            Status = ModelStatus.Bootstrap,
            CheckpointPath = Path.GetFullPath(_options.InitialCheckpoint),
            HeldOutAccuracy = metadata.Evaluation?.Overall.Learned,
            DataDigest = metadata.Training?.DataDigest,
            Reason = "registered as the first version",
            CreatedAt = _time.GetUtcNow(),
        };
        await RegisterAsync(bootstrap, makeCurrent: true, cancellationToken).ConfigureAwait(false);
        return bootstrap;
    }

    public async Task<RetrainOutcome> RetrainAsync(RetrainRequested request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        using var timer = Duration.NewTimer();
        try
        {
            return await Task.Run(() => RetrainCoreAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<RetrainOutcome> RetrainCoreAsync(RetrainRequested request, CancellationToken cancellationToken)
    {
        var current = await GetOrBootstrapCurrentAsync(cancellationToken).ConfigureAwait(false);
        var labels = await ReadLabelsAsync(cancellationToken).ConfigureAwait(false);
        string manifestPath = Path.GetFullPath(_options.Manifest);
        string imageRoot = Path.GetFullPath(_options.ImageRoot ?? Path.GetDirectoryName(manifestPath)!);
        var entries = ManifestReader.Read(manifestPath).ToList();
        var split = ImageSplit.ByImage(entries);
        var imagePaths = entries.GroupBy(e => e.ImageId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().ImagePath, StringComparer.Ordinal);

        var humanTrain = new List<PreferencePair>();
        var humanHeldOut = new List<PreferencePair>();
        int unmatched = 0;
        foreach (var label in labels)
        {
            if (!imagePaths.TryGetValue(label.ImageId, out var imagePath))
            {
                unmatched++;
                continue;
            }

            var pair = new PreferencePair(label.ImageId, imagePath, label.ChosenText, label.RejectedText, "human");
            (IsHeldOut(label.PreferenceId) ? humanHeldOut : humanTrain).Add(pair);
        }

        if (unmatched > 0)
        {
            LogUnmatchedLabels(unmatched, labels.Count, manifestPath);
        }

        var synthetic = PreferencePairBuilder.Build(split.Train, SyntheticSeed);
        var heldOut = PreferencePairBuilder.Build(split.Test, HeldOutSeed).Concat(humanHeldOut).ToList();
        string candidateVersion = await NextVersionAsync(current.Version, cancellationToken).ConfigureAwait(false);
        string candidateDirectory = _registry.VersionDirectory(candidateVersion);
        LogRetrainStarted(request.RequestId, current.Version, candidateVersion, humanTrain.Count, humanHeldOut.Count, synthetic.Count);

        var report = RewardFineTuner.Run(new FineTuneOptions
        {
            BaseCheckpoint = current.CheckpointPath,
            OutputDirectory = candidateDirectory,
            ModelVersion = candidateVersion,
            ImageRoot = imageRoot,
            Pairs = [.. synthetic.Select(p => new WeightedPair(p, 1.0)), .. humanTrain.Select(p => new WeightedPair(p, _options.HumanLabelWeight))],
            Epochs = _options.Epochs,
            LearningRate = _options.LearningRate,
            Seed = _options.Seed,
        }, _logger);

        double currentAccuracy = Evaluate(current.CheckpointPath, imageRoot, heldOut);
        double candidateAccuracy = Evaluate(candidateDirectory, imageRoot, heldOut);
        string digest = Digest(labels);
        var now = _time.GetUtcNow();
        bool promote = candidateAccuracy >= currentAccuracy - _options.Tolerance;
        var record = new ModelRecord
        {
            Version = candidateVersion,
            ParentVersion = current.Version,
            Status = promote ? ModelStatus.Published : ModelStatus.Rejected,
            CheckpointPath = candidateDirectory,
            HeldOutAccuracy = candidateAccuracy,
            ParentHeldOutAccuracy = currentAccuracy,
            LabelCount = humanTrain.Count,
            DataDigest = digest,
            Reason = promote
                ? $"fine-tuned on {report.Pairs} pairs for request {request.RequestId}"
                : $"held-out accuracy {candidateAccuracy:F4} is below the current {currentAccuracy:F4} by more than the tolerance {_options.Tolerance}",
            CreatedAt = now,
        };
        await RegisterAsync(record, makeCurrent: promote, cancellationToken).ConfigureAwait(false);
        Outcomes.WithLabels(promote ? "published" : "rejected").Inc();
        LogRetrainFinished(request.RequestId, candidateVersion, promote ? "published" : "rejected", candidateAccuracy, currentAccuracy, heldOut.Count);

        if (promote)
        {
            return new RetrainOutcome(new ModelPublished
            {
                ModelVersion = candidateVersion,
                ParentVersion = current.Version,
                CheckpointUri = candidateDirectory,
                HeldOutAccuracy = candidateAccuracy,
                ParentHeldOutAccuracy = currentAccuracy,
                LabelCount = humanTrain.Count,
                PublishedAt = now,
                RequestId = request.RequestId,
            }, null);
        }

        return new RetrainOutcome(null, new ModelRejected
        {
            CandidateVersion = candidateVersion,
            CurrentVersion = current.Version,
            CandidateAccuracy = candidateAccuracy,
            CurrentAccuracy = currentAccuracy,
            Tolerance = _options.Tolerance,
            Reason = record.Reason!,
            RejectedAt = now,
            RequestId = request.RequestId,
        });
    }

    // The file registry is written first because the scorers load checkpoints from it; the table mirrors it.
    private async Task RegisterAsync(ModelRecord record, bool makeCurrent, CancellationToken cancellationToken)
    {
        await _registry.RegisterAsync(record, makeCurrent, cancellationToken).ConfigureAwait(false);
        if (_postgresRegistry is not null)
        {
            await _postgresRegistry.InitializeAsync(cancellationToken).ConfigureAwait(false);
            await _postgresRegistry.RegisterAsync(record, makeCurrent, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<IReadOnlyList<PreferenceRecord>> ReadLabelsAsync(CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(_options.LabelPostgresConnectionString)
            ? await PreferenceLabelReader.ReadJsonlAsync(_options.LabelDirectory, cancellationToken).ConfigureAwait(false)
            : await PreferenceLabelReader.ReadPostgresAsync(_options.LabelPostgresConnectionString, _options.LabelPostgresTable, cancellationToken).ConfigureAwait(false);

    // The same label always lands on the same side, so the held-out set only grows as labels arrive.
    private bool IsHeldOut(string preferenceId)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(preferenceId), hash);
        return BitConverter.ToUInt32(hash) / (double)uint.MaxValue < _options.HumanHoldOutFraction;
    }

    private static double Evaluate(string checkpoint, string imageRoot, IReadOnlyList<PreferencePair> pairs)
    {
        using var scorer = RewardScorer.Open(checkpoint, new ImageLoaderOptions { ImageRoot = imageRoot }, new ImageEmbeddingCache(4096));
        return PairEvaluator.Evaluate(scorer, pairs).Accuracy;
    }

    private async Task<string> NextVersionAsync(string currentVersion, CancellationToken cancellationToken)
    {
        var existing = (await _registry.ListAsync(cancellationToken).ConfigureAwait(false)).Select(r => r.Version).ToHashSet(StringComparer.Ordinal);
        var match = TrailingNumber().Match(currentVersion);
        string stem = match.Success ? currentVersion[..match.Index] : currentVersion + "-v";
        int number = match.Success ? int.Parse(match.Value, CultureInfo.InvariantCulture) : 1;
        string next;
        do
        {
            number++;
            next = stem + number.ToString(CultureInfo.InvariantCulture);
        }
        while (existing.Contains(next));

        return next;
    }

    private static string Digest(IReadOnlyList<PreferenceRecord> labels)
    {
        var builder = new StringBuilder();
        foreach (var id in labels.Select(l => l.PreferenceId).Order(StringComparer.Ordinal))
        {
            builder.Append(id).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString())));
    }

    [GeneratedRegex(@"\d+$")]
    private static partial Regex TrailingNumber();

    [LoggerMessage(4000, LogLevel.Information, "Retrain {RequestId}: fine-tuning {CurrentVersion} into {CandidateVersion} on {HumanLabels} human labels ({HeldOutLabels} held out) and {SyntheticPairs} synthetic pairs")]
    private partial void LogRetrainStarted(string requestId, string currentVersion, string candidateVersion, int humanLabels, int heldOutLabels, int syntheticPairs);

    [LoggerMessage(4001, LogLevel.Information, "Retrain {RequestId}: {CandidateVersion} {Outcome} with held-out accuracy {CandidateAccuracy:F4} against {CurrentAccuracy:F4} of the current model on {HeldOutPairs} pairs")]
    private partial void LogRetrainFinished(string requestId, string candidateVersion, string outcome, double candidateAccuracy, double currentAccuracy, int heldOutPairs);

    [LoggerMessage(4002, LogLevel.Warning, "{Unmatched} of {Total} labels name images that are not in the trainer manifest {Manifest}; they are left out")]
    private partial void LogUnmatchedLabels(int unmatched, int total, string manifest);
}
