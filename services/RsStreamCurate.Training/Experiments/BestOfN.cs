namespace RsStreamCurate.Training.Experiments;

/// <summary>Share of best-of-N picks that are human captions and that are free of synthetic defects, for one pick rule.</summary>
public sealed record BestOfNPick(string Rule, double HumanFraction, double NonDefectiveFraction);

/// <summary>Best-of-N results over one set of images.</summary>
public sealed record BestOfNResult(string ImageSet, int Images, double MeanCandidates, IReadOnlyList<BestOfNPick> Picks);

/// <summary>Picks one candidate per image by the learned scorer, by CLIP-score, or at random.</summary>
public static class BestOfN
{
    public const string ScorerRule = "scorer";
    public const string ClipScoreRule = "clip-score";
    public const string RandomRule = "random (expected)";

    /// <summary>
    /// Returns the pool index of the candidate with the highest key for every image that has candidates, in
    /// image order. On a tie the lower pool index wins.
    /// </summary>
    public static IReadOnlyList<int> PickBest(CandidatePool pool, Func<PoolCandidate, double> key)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(key);
        var best = new Dictionary<int, int>();
        for (int i = 0; i < pool.Candidates.Count; i++)
        {
            var candidate = pool.Candidates[i];
            double value = key(candidate);
            if (double.IsNaN(value))
            {
                throw new ArgumentException($"Candidate {i} has a NaN key; score the pool first.", nameof(pool));
            }

            if (!best.TryGetValue(candidate.ImageIndex, out int current) || value > key(pool.Candidates[current]))
            {
                best[candidate.ImageIndex] = i;
            }
        }

        return best.OrderBy(pair => pair.Key).Select(pair => pair.Value).ToArray();
    }

    /// <summary>
    /// Evaluates the three pick rules on a scored pool. The random rule is reported as its expectation (the mean
    /// over images of the human and non-defective shares of the candidates), not as one noisy draw.
    /// </summary>
    public static BestOfNResult Evaluate(CandidatePool pool, string imageSet)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var byImage = pool.Candidates.GroupBy(c => c.ImageIndex).ToList();
        if (byImage.Count == 0)
        {
            throw new ArgumentException("The pool has no candidates.", nameof(pool));
        }

        BestOfNPick Rate(string rule, IReadOnlyList<int> picks) => new(
            rule,
            picks.Average(i => pool.Candidates[i].IsHuman ? 1.0 : 0.0),
            picks.Average(i => pool.Candidates[i].IsDefective ? 0.0 : 1.0));

        var random = new BestOfNPick(
            RandomRule,
            byImage.Average(group => group.Average(c => c.IsHuman ? 1.0 : 0.0)),
            byImage.Average(group => group.Average(c => c.IsDefective ? 0.0 : 1.0)));

        return new BestOfNResult(
            imageSet,
            byImage.Count,
            byImage.Average(group => group.Count()),
            [Rate(ScorerRule, PickBest(pool, c => c.Score)), Rate(ClipScoreRule, PickBest(pool, c => c.ClipScore)), random]);
    }
}
