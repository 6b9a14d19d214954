namespace RsStreamCurate.Training.Experiments;

/// <summary>How a selection ranks the candidate pool.</summary>
public enum SelectionRanking
{
    /// <summary>Every candidate; the fraction must be 1.</summary>
    All,

    /// <summary>A uniform random subset, drawn again for every seed.</summary>
    Random,

    /// <summary>Highest cosine similarity of the checkpoint's embeddings first.</summary>
    ClipScore,

    /// <summary>Highest learned reward first.</summary>
    Scorer,
}

/// <summary>A named subset of the candidate pool: a ranking and the fraction of the pool to keep.</summary>
public sealed record SelectionSpec(string Name, SelectionRanking Ranking, double Fraction)
{
    /// <summary>
    /// The selections of the curation experiment: all data, a random 30%, the top 30% by CLIP-score, and the
    /// top 30%, 20% and 10% by the learned scorer.
    /// </summary>
    public static IReadOnlyList<SelectionSpec> Standard { get; } =
    [
        new("all", SelectionRanking.All, 1.0),
        new("random-30", SelectionRanking.Random, 0.30),
        new("clip-score-top-30", SelectionRanking.ClipScore, 0.30),
        new("scorer-top-30", SelectionRanking.Scorer, 0.30),
        new("scorer-top-20", SelectionRanking.Scorer, 0.20),
        new("scorer-top-10", SelectionRanking.Scorer, 0.10),
    ];
}

/// <summary>
/// Selects candidates of a pool. Ranking is global over the whole pool, as offline curation does it, not per
/// streaming window.
/// </summary>
public static class PoolSelector
{
    /// <summary>
    /// Computes ceil(fraction * count) in decimal arithmetic, so 0.3 * 10 gives 3 and not the 4 that the double
    /// product 3.0000000000000004 would give. Returns at least 1 for a non-empty pool.
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
    /// Returns the indices of the <see cref="KeepCount"/> highest keys, best first. Equal keys keep the lower
    /// index first, so the result does not depend on the sort algorithm.
    /// </summary>
    /// <exception cref="ArgumentException">A key is NaN.</exception>
    public static int[] TopFraction(IReadOnlyList<double> keys, double fraction)
    {
        ArgumentNullException.ThrowIfNull(keys);
        for (int i = 0; i < keys.Count; i++)
        {
            if (double.IsNaN(keys[i]))
            {
                throw new ArgumentException($"Key {i} is NaN and cannot be ranked; score the pool first.", nameof(keys));
            }
        }

        var order = Enumerable.Range(0, keys.Count).ToArray();
        Array.Sort(order, (left, right) =>
        {
            int byKey = keys[right].CompareTo(keys[left]);
            return byKey != 0 ? byKey : left.CompareTo(right);
        });
        return order[..KeepCount(keys.Count, fraction)];
    }

    /// <summary>Returns <see cref="KeepCount"/> distinct indices in [0, count), drawn uniformly, in ascending order.</summary>
    public static int[] RandomFraction(int count, double fraction, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var order = Enumerable.Range(0, count).ToArray();
        random.Shuffle(order);
        var selected = order[..KeepCount(count, fraction)];
        Array.Sort(selected);
        return selected;
    }

    /// <summary>Returns the candidate indices of <paramref name="spec"/>; <paramref name="random"/> is used only by <see cref="SelectionRanking.Random"/>.</summary>
    public static int[] Select(CandidatePool pool, SelectionSpec spec, Random random)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(spec);
        var candidates = pool.Candidates;
        return spec.Ranking switch
        {
            SelectionRanking.All when spec.Fraction == 1.0 => Enumerable.Range(0, candidates.Count).ToArray(),
            SelectionRanking.All => throw new ArgumentException($"Selection {spec.Name} keeps all candidates, so its fraction must be 1, not {spec.Fraction}.", nameof(spec)),
            SelectionRanking.Random => RandomFraction(candidates.Count, spec.Fraction, random),
            SelectionRanking.ClipScore => TopFraction(candidates.Select(c => c.ClipScore).ToArray(), spec.Fraction),
            SelectionRanking.Scorer => TopFraction(candidates.Select(c => c.Score).ToArray(), spec.Fraction),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Ranking, "Unknown selection ranking."),
        };
    }
}
