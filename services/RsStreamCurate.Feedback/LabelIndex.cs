using RsStreamCurate.Feedback.Storage;

namespace RsStreamCurate.Feedback;

/// <summary>
/// In-memory index of the stored labels: which caption pairs each labeller judged or skipped, how many labels
/// each labeller stored, and which side each labeller chose per pair, for the agreement metrics. It is rebuilt
/// from the store at start, so its memory grows with the number of labels (about 200 bytes per label).
/// Skips are not stored and are forgotten at a restart.
/// </summary>
public sealed class LabelIndex
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, HashSet<string>> _excludedByLabeller = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _labelCounts = new(StringComparer.Ordinal);

    // Pair key -> labeller -> whether that labeller's latest label chose the first text in ordinal order.
    private readonly Dictionary<string, Dictionary<string, bool>> _sidesByPair = new(StringComparer.Ordinal);
    private int _multiplyJudged;
    private int _agreeing;

    /// <summary>Pairs judged by two or more labellers.</summary>
    public int MultiplyJudgedPairs
    {
        get
        {
            lock (_lock)
            {
                return _multiplyJudged;
            }
        }
    }

    /// <summary>Fraction of <see cref="MultiplyJudgedPairs"/> where every labeller chose the same side, or null when there are none.</summary>
    public double? AgreementRatio
    {
        get
        {
            lock (_lock)
            {
                return _multiplyJudged == 0 ? null : (double)_agreeing / _multiplyJudged;
            }
        }
    }

    public void Add(PreferenceRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        string pairKey = PreferenceIds.PairKey(record.ImageId, record.ChosenText, record.RejectedText);
        bool choseFirst = PreferenceIds.ChoseFirst(record.ChosenText, record.RejectedText);
        lock (_lock)
        {
            Excluded(record.LabellerId).Add(pairKey);
            _labelCounts[record.LabellerId] = _labelCounts.GetValueOrDefault(record.LabellerId) + 1;

            if (!_sidesByPair.TryGetValue(pairKey, out var sides))
            {
                sides = new Dictionary<string, bool>(StringComparer.Ordinal);
                _sidesByPair.Add(pairKey, sides);
            }

            RemoveFromAgreement(sides);
            sides[record.LabellerId] = choseFirst;
            AddToAgreement(sides);
        }
    }

    /// <summary>Remembers that a labeller skipped a pair, so it is not offered to them again until a restart.</summary>
    public void Skip(string labellerId, string imageId, string textA, string textB)
    {
        string pairKey = PreferenceIds.PairKey(imageId, textA, textB);
        lock (_lock)
        {
            Excluded(labellerId).Add(pairKey);
        }
    }

    /// <summary>Returns true when the labeller judged or skipped the pair of these two texts of the image.</summary>
    public bool IsExcluded(string labellerId, string imageId, string textA, string textB)
    {
        string pairKey = PreferenceIds.PairKey(imageId, textA, textB);
        lock (_lock)
        {
            return _excludedByLabeller.TryGetValue(labellerId, out var excluded) && excluded.Contains(pairKey);
        }
    }

    public int LabelCount(string labellerId)
    {
        lock (_lock)
        {
            return _labelCounts.GetValueOrDefault(labellerId);
        }
    }

    /// <summary>Sets the agreement gauges from the current state.</summary>
    public void PublishMetrics()
    {
        lock (_lock)
        {
            FeedbackMetrics.MultiplyJudgedPairs.Set(_multiplyJudged);
            FeedbackMetrics.AgreementRatio.Set(_multiplyJudged == 0 ? 0 : (double)_agreeing / _multiplyJudged);
        }
    }

    private HashSet<string> Excluded(string labellerId)
    {
        if (!_excludedByLabeller.TryGetValue(labellerId, out var excluded))
        {
            excluded = new HashSet<string>(StringComparer.Ordinal);
            _excludedByLabeller.Add(labellerId, excluded);
        }

        return excluded;
    }

    private void RemoveFromAgreement(Dictionary<string, bool> sides)
    {
        if (sides.Count >= 2)
        {
            _multiplyJudged--;
            if (AllSame(sides))
            {
                _agreeing--;
            }
        }
    }

    private void AddToAgreement(Dictionary<string, bool> sides)
    {
        if (sides.Count >= 2)
        {
            _multiplyJudged++;
            if (AllSame(sides))
            {
                _agreeing++;
            }
        }
    }

    private static bool AllSame(Dictionary<string, bool> sides) => sides.Values.Distinct().Count() == 1;
}
