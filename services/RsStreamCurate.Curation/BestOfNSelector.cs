using RsStreamCurate.Contracts;

namespace RsStreamCurate.Curation;

/// <summary>Selects the best candidate of each image in a window.</summary>
public static class BestOfNSelector
{
    /// <summary>
    /// Keeps, for every image id, the candidate with the highest score; equal scores go to the lower candidate id,
    /// as in <see cref="TopFractionSelector"/>. The kept list is ordered best first.
    /// </summary>
    /// <exception cref="ArgumentException">The candidates are empty or a score is NaN.</exception>
    public static WindowSelection Select(IReadOnlyCollection<ScoredCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0)
        {
            throw new ArgumentException("A window must contain at least one candidate to select from.", nameof(candidates));
        }

        var best = new Dictionary<string, ScoredCandidate>(StringComparer.Ordinal);
        foreach (var candidate in candidates)
        {
            if (double.IsNaN(candidate.Score))
            {
                throw new ArgumentException($"Candidate {candidate.Candidate.CandidateId} has a NaN score, which cannot be ranked.", nameof(candidates));
            }

            string imageId = candidate.Candidate.ImageId;
            if (!best.TryGetValue(imageId, out var current) || TopFractionSelector.CompareBestFirst(candidate, current) < 0)
            {
                best[imageId] = candidate;
            }
        }

        var kept = best.Values.ToArray();
        Array.Sort(kept, TopFractionSelector.CompareBestFirst);
        return new WindowSelection(kept, kept[^1].Score);
    }
}
