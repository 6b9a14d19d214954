using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RsStreamCurate.Scoring;

/// <summary>
/// Holds the reward scorer of the current model version for the scoring stage, loaded from
/// <see cref="ScoringOptions.Checkpoint"/> on first use.
/// </summary>
public sealed class RewardScorerHolder : IDisposable
{
    private readonly ScoringOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Lock _lock = new();
    private RewardScorer? _current;

    public RewardScorerHolder(IOptions<ScoringOptions> options, ILoggerFactory loggerFactory)
    {
        _options = options.Value;
        _loggerFactory = loggerFactory;
        Cache = new ImageEmbeddingCache(Math.Max(1, _options.CacheCapacity));
    }

    /// <summary>Image-embedding cache shared by every model version; entries are keyed by version.</summary>
    public ImageEmbeddingCache Cache { get; }

    /// <summary>Returns the current scorer, loading the configured checkpoint the first time.</summary>
    public RewardScorer Current
    {
        get
        {
            lock (_lock)
            {
                _current ??= RewardScorer.Open(_options.Checkpoint, _options.ToImageLoaderOptions(), Cache, _loggerFactory.CreateLogger<RewardScorer>());
                return _current;
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _current?.Dispose();
            _current = null;
        }
    }
}
