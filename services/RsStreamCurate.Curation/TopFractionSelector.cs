using RsStreamCurate.Contracts;

namespace RsStreamCurate.Curation;

/// <summary>Kept candidates of one window, best first, and the lowest kept score.</summary>
public sealed record WindowSelection(IReadOnlyList<ScoredCandidate> Kept, double Threshold);

/// <summary>Selects the exact top fraction of a window by score.</summary>
public static class TopFractionSelector
{
    /// <summary>
    /// Computes ceil(fraction * count) in decimal arithmetic. The double fraction is converted to decimal,
    /// which rounds it to 15 significant digits, so 0.07 becomes exactly 0.07 and 0.07 * 100 gives 7, where
    /// the double product 7.000000000000001 would give 8. A fraction is therefore read as its shortest
    /// decimal form (0.1 + 0.2 counts as 0.3). Returns at least 1 for a non-empty window.
    /// </summary>
    public static int KeepCount(int count, double fraction)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!(fraction > 0 && fraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The fraction must be greater than 0 and at most 1.");
        }

        if (count == 0)
        {
            return 0;
        }

        decimal exact = decimal.Ceiling((decimal)fraction * count);
        return (int)Math.Clamp(exact, 1, count);
    }

    /// <summary>
    /// Keeps the <see cref="KeepCount"/> highest scores. Equal scores are ordered by candidate id in ascending
    /// ordinal order, so the result does not depend on arrival order.
    /// </summary>
    /// <exception cref="ArgumentException">The candidates are empty or a score is NaN.</exception>
    public static WindowSelection Select(IReadOnlyCollection<ScoredCandidate> candidates, double fraction)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0)
        {
            throw new ArgumentException("A window must contain at least one candidate to select from.", nameof(candidates));
        }

        var ordered = candidates.ToArray();
        foreach (var candidate in ordered)
        {
            if (double.IsNaN(candidate.Score))
            {
                throw new ArgumentException($"Candidate {candidate.Candidate.CandidateId} has a NaN score, which cannot be ranked.", nameof(candidates));
            }
        }

        Array.Sort(ordered, CompareBestFirst);

        var kept = ordered[..KeepCount(ordered.Length, fraction)];
        return new WindowSelection(kept, kept[^1].Score);
    }

    internal static int CompareBestFirst(ScoredCandidate left, ScoredCandidate right)
    {
        int byScore = right.Score.CompareTo(left.Score);
        return byScore != 0
            ? byScore
            : string.CompareOrdinal(left.Candidate.CandidateId, right.Candidate.CandidateId);
    }
}
