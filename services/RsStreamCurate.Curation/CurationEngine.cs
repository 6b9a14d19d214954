using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RsStreamCurate.Contracts;

namespace RsStreamCurate.Curation;

/// <summary>
/// Groups scored candidates into tumbling windows of one model version and keeps the top fraction of each
/// window when it closes. It does no I/O: the caller writes each returned <see cref="ClosedWindow"/> to a
/// sink and only then stores the window's <see cref="ClosedWindow.SourcePositions"/>. Thread-safe, so an idle
/// timer may call <see cref="CloseExpired"/> while the consume loop calls <see cref="Add"/>.
/// </summary>
/// <remarks>
/// Windows close in consumption order, and a window holds only messages consumed after those of the window
/// before it. Storing the highest offset per partition of each written window, in close order, therefore never
/// skips a message of a window that is still open or not yet written.
/// </remarks>
public sealed class CurationEngine
{
    private readonly double _fraction;
    private readonly CurationPolicy _policy;
    private readonly int _windowSize;
    private readonly TimeSpan _maxWindowAge;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<CurationEngine> _logger;
    private readonly Lock _gate = new();

    private OpenWindow? _open;

    public CurationEngine(IOptions<CurationOptions> options, TimeProvider timeProvider, ILogger<CurationEngine> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        var validation = new CurationOptionsValidator().Validate(null, value);
        if (validation.Failed)
        {
            throw new OptionsValidationException(CurationOptions.SectionName, typeof(CurationOptions), validation.Failures);
        }

        _fraction = value.Fraction;
        _policy = value.Policy;
        _windowSize = value.WindowSize;
        _maxWindowAge = value.MaxWindowAge;
        _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>Number of distinct candidates in the open window, or 0 when none is open.</summary>
    public int OpenWindowSize
    {
        get
        {
            lock (_gate)
            {
                return _open?.Candidates.Count ?? 0;
            }
        }
    }

    /// <summary>
    /// Adds a scored candidate and returns the windows that closed because of it, oldest first. Usually none
    /// closes. The open window closes when it is too old, has another model version or becomes full. Two close
    /// when an old window closes and the new candidate alone fills a window of size 1.
    /// </summary>
    /// <exception cref="ArgumentException">The candidate has no id or model version, or its score is NaN. Dead-letter it.</exception>
    public IReadOnlyList<ClosedWindow> Add(ScoredCandidate candidate, SourcePosition position)
    {
        Validate(candidate);

        lock (_gate)
        {
            CurationMetrics.Candidates.WithLabels(CurationMetrics.Stage, "in").Inc();

            var now = _timeProvider.GetUtcNow();
            List<ClosedWindow>? closed = null;

            if (_open is not null && IsExpired(_open, now))
            {
                (closed ??= []).Add(Close(CloseReason.Age, now));
            }
            else if (_open is not null && !string.Equals(_open.ModelVersion, candidate.ModelVersion, StringComparison.Ordinal))
            {
                (closed ??= []).Add(Close(CloseReason.ModelVersion, now));
            }

            _open ??= new OpenWindow(candidate.ModelVersion, now);
            _open.TrackPosition(position);

            if (!_open.TryAdd(candidate))
            {
                CurationMetrics.DuplicateCandidates.Inc();
                Log.DuplicateIgnored(_logger, candidate.Candidate.CandidateId, candidate.ModelVersion);
            }
            else if (_open.Candidates.Count >= _windowSize)
            {
                (closed ??= []).Add(Close(CloseReason.Count, now));
            }

            return closed ?? (IReadOnlyList<ClosedWindow>)[];
        }
    }

    /// <summary>
    /// Attaches the position of a consumed message that produced no candidate (for example one sent to the
    /// dead-letter topic) to the open window, so its offset is stored together with that window. Returns false
    /// when no window is open: nothing earlier is pending then, and the caller may store the offset at once.
    /// </summary>
    public bool TrackPosition(SourcePosition position)
    {
        lock (_gate)
        {
            if (_open is null)
            {
                return false;
            }

            _open.TrackPosition(position);
            return true;
        }
    }

    /// <summary>Closes the open window with reason <see cref="CloseReason.Age"/> if it is older than MaxWindowAge. Call it from an idle tick.</summary>
    public ClosedWindow? CloseExpired()
    {
        lock (_gate)
        {
            var now = _timeProvider.GetUtcNow();
            return _open is not null && IsExpired(_open, now) ? Close(CloseReason.Age, now) : null;
        }
    }

    /// <summary>
    /// Closes the open window, if any, with reason <see cref="CloseReason.Shutdown"/>. Call it on shutdown and
    /// when partitions are revoked, then write the window and store its offsets before giving the partitions up.
    /// </summary>
    public ClosedWindow? Flush()
    {
        lock (_gate)
        {
            return _open is null ? null : Close(CloseReason.Shutdown, _timeProvider.GetUtcNow());
        }
    }

    private bool IsExpired(OpenWindow window, DateTimeOffset now) => now - window.OpenedAt >= _maxWindowAge;

    private ClosedWindow Close(CloseReason reason, DateTimeOffset now)
    {
        var window = _open!;
        _open = null;

        var selection = _policy == CurationPolicy.BestOfN
            ? BestOfNSelector.Select(window.Candidates)
            : TopFractionSelector.Select(window.Candidates, _fraction);
        var closed = new ClosedWindow
        {
            WindowId = WindowIds.Compute(window.ModelVersion, _fraction, window.CandidateIds, _policy == CurationPolicy.BestOfN ? "best_of_n" : null),
            ModelVersion = window.ModelVersion,
            Size = window.Candidates.Count,
            Fraction = _fraction,
            Policy = _policy,
            Kept = selection.Kept,
            Threshold = selection.Threshold,
            CloseReason = reason,
            OpenedAt = window.OpenedAt,
            ClosedAt = now,
            DuplicateCount = window.DuplicateCount,
            SourcePositions = window.Positions.Select(p => new SourcePosition(p.Key.Topic, p.Key.Partition, p.Value)).ToArray(),
        };

        CurationMetrics.WindowsClosed.WithLabels(reason.ToLabel()).Inc();
        CurationMetrics.Candidates.WithLabels(CurationMetrics.Stage, "out").Inc(selection.Kept.Count);
        CurationMetrics.WindowThreshold.WithLabels(window.ModelVersion).Set(selection.Threshold);
        CurationMetrics.WindowKeptRatio.WithLabels(window.ModelVersion).Set((double)selection.Kept.Count / closed.Size);
        Log.WindowClosed(_logger, closed.WindowId, closed.ModelVersion, closed.Size, selection.Kept.Count, selection.Threshold, reason.ToLabel());

        return closed;
    }

    private static void Validate(ScoredCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (candidate.Candidate is null || string.IsNullOrEmpty(candidate.Candidate.CandidateId))
        {
            throw new ArgumentException("The scored candidate has no candidate id.", nameof(candidate));
        }

        if (string.IsNullOrEmpty(candidate.ModelVersion))
        {
            throw new ArgumentException($"Candidate {candidate.Candidate.CandidateId} has no model version.", nameof(candidate));
        }

        if (double.IsNaN(candidate.Score))
        {
            throw new ArgumentException($"Candidate {candidate.Candidate.CandidateId} has a NaN score, which cannot be ranked.", nameof(candidate));
        }
    }

    private sealed class OpenWindow(string modelVersion, DateTimeOffset openedAt)
    {
        private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

        public string ModelVersion { get; } = modelVersion;

        public DateTimeOffset OpenedAt { get; } = openedAt;

        public List<ScoredCandidate> Candidates { get; } = [];

        public IEnumerable<string> CandidateIds => _ids;

        public int DuplicateCount { get; private set; }

        public Dictionary<(string Topic, int Partition), long> Positions { get; } = [];

        public bool TryAdd(ScoredCandidate candidate)
        {
            if (!_ids.Add(candidate.Candidate.CandidateId))
            {
                DuplicateCount++;
                return false;
            }

            Candidates.Add(candidate);
            return true;
        }

        public void TrackPosition(SourcePosition position)
        {
            var key = (position.Topic, position.Partition);
            if (!Positions.TryGetValue(key, out long offset) || position.Offset > offset)
            {
                Positions[key] = position.Offset;
            }
        }
    }
}
