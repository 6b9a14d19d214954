using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;

namespace RsStreamCurate.Scoring;

/// <summary>
/// Holds the reward scorer of the current model version and swaps in a promoted version while the stream runs.
/// Callers score through a <see cref="Lease"/>, so a swap waits for batches in flight on the old model and every
/// batch is scored by exactly one version.
/// </summary>
public sealed partial class RewardScorerHolder : IDisposable
{
    private static readonly Gauge ModelInfo = Metrics.CreateGauge(
        "rscurate_scoring_model_info",
        "Set to 1 for the reward-model version that this scorer currently uses.",
        "model_version");

    private static readonly Counter Swaps = Metrics.CreateCounter(
        "rscurate_scoring_model_swaps_total",
        "Reward-model versions swapped into a running scorer.");

    private readonly ScoringOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<RewardScorerHolder> _logger;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Lock _loadLock = new();
    private RewardScorer? _current;
    private bool _disposed;

    public RewardScorerHolder(IOptions<ScoringOptions> options, ILoggerFactory loggerFactory)
    {
        _options = options.Value;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<RewardScorerHolder>();
        Cache = new ImageEmbeddingCache(Math.Max(1, _options.CacheCapacity));
    }

    /// <summary>Image-embedding cache shared by every model version; entries are keyed by version.</summary>
    public ImageEmbeddingCache Cache { get; }

    /// <summary>Version of the current model, loading the configured checkpoint on first use.</summary>
    public string ModelVersion
    {
        get
        {
            using var lease = Acquire();
            return lease.Scorer.ModelVersion;
        }
    }

    /// <summary>Raised after a new version was swapped in, with the old and the new version.</summary>
    public event Action<string, string>? ModelSwapped;

    /// <summary>
    /// Returns a lease on the current scorer, loading the configured checkpoint the first time. Dispose the lease
    /// when the batch is scored; a swap waits for it.
    /// </summary>
    public Lease Acquire()
    {
        EnsureLoaded();
        _lock.EnterReadLock();
        return new Lease(this, _current!);
    }

    /// <summary>
    /// Loads <paramref name="checkpointDirectory"/> and makes it the current model once the batches in flight are
    /// done. Loading happens before the swap, so scoring goes on meanwhile. Returns the new version; a checkpoint of
    /// the version already in use is ignored. Throws when the checkpoint cannot be loaded, leaving the current model.
    /// </summary>
    public string Activate(string checkpointDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointDirectory);
        EnsureLoaded();

        var next = Open(checkpointDirectory);
        string oldVersion;
        _lock.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            oldVersion = _current!.ModelVersion;
            if (oldVersion == next.ModelVersion)
            {
                next.Dispose();
                LogSameVersion(oldVersion, checkpointDirectory);
                return oldVersion;
            }

            _current.Dispose();
            _current = next;
        }
        finally
        {
            _lock.ExitWriteLock();
        }

        Cache.RemoveVersion(oldVersion);
        ModelInfo.WithLabels(oldVersion).Set(0);
        ModelInfo.WithLabels(next.ModelVersion).Set(1);
        Swaps.Inc();
        LogSwapped(oldVersion, next.ModelVersion, checkpointDirectory);
        ModelSwapped?.Invoke(oldVersion, next.ModelVersion);
        return next.ModelVersion;
    }

    public void Dispose()
    {
        _lock.EnterWriteLock();
        try
        {
            _disposed = true;
            _current?.Dispose();
            _current = null;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private void EnsureLoaded()
    {
        if (Volatile.Read(ref _current) is not null)
        {
            return;
        }

        lock (_loadLock)
        {
            if (_current is null)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                var scorer = Open(_options.Checkpoint);
                Volatile.Write(ref _current, scorer);
                ModelInfo.WithLabels(scorer.ModelVersion).Set(1);
            }
        }
    }

    private RewardScorer Open(string checkpointDirectory) =>
        RewardScorer.Open(checkpointDirectory, _options.ToImageLoaderOptions(), Cache, _loggerFactory.CreateLogger<RewardScorer>());

    [LoggerMessage(2100, LogLevel.Information, "Swapped reward model {OldVersion} for {NewVersion} from {Checkpoint}")]
    private partial void LogSwapped(string oldVersion, string newVersion, string checkpoint);

    [LoggerMessage(2101, LogLevel.Information, "Reward model {ModelVersion} from {Checkpoint} is already in use; nothing to swap")]
    private partial void LogSameVersion(string modelVersion, string checkpoint);

    /// <summary>Use of the current scorer for one batch; the model cannot be swapped until it is disposed.</summary>
    public readonly struct Lease(RewardScorerHolder holder, RewardScorer scorer) : IDisposable
    {
        public RewardScorer Scorer { get; } = scorer;

        public void Dispose() => holder._lock.ExitReadLock();
    }
}
