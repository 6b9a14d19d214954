using RsStreamCurate.Contracts;

namespace RsStreamCurate.Curation.Tests;

public sealed class TopFractionSelectorTests
{
    [Fact]
    public void KeepCount_sizes_1_to_50()
    {
        for (int n = 1; n <= 50; n++)
        {
            int expected = (3 * n + 9) / 10; // ceil(3n / 10) in integers, free of floating point.
            Assert.True(expected == TopFractionSelector.KeepCount(n, 0.3), $"n={n}: expected {expected}, got {TopFractionSelector.KeepCount(n, 0.3)}");
        }
    }

    [Theory]
    [InlineData(10, 0.3, 3)]
    [InlineData(100, 0.3, 30)]
    [InlineData(1000, 0.3, 300)]
    [InlineData(10, 0.7, 7)]
    [InlineData(100, 0.07, 7)]
    [InlineData(3, 1.0, 3)]
    [InlineData(7, 1e-9, 1)]
    [InlineData(0, 0.3, 0)]
    public void KeepCount_has_no_floating_point_overshoot(int count, double fraction, int expected)
    {
        Assert.Equal(expected, TopFractionSelector.KeepCount(count, fraction));
    }

    [Fact]
    public void KeepCount_reads_noisy_fraction_as_decimal()
    {
        double noisy = 0.1 + 0.2; // 0.30000000000000004 in binary floating point
        Assert.Equal(3, TopFractionSelector.KeepCount(10, noisy));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    public void KeepCount_rejects_fraction_outside_range(double fraction)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TopFractionSelector.KeepCount(10, fraction));
    }

    [Fact]
    public void Select_sizes_1_to_50()
    {
        var random = new Random(42);
        for (int n = 1; n <= 50; n++)
        {
            var candidates = Enumerable.Range(0, n).Select(i => TestData.WithId($"c{i:D3}", random.NextDouble())).ToArray();

            var selection = TopFractionSelector.Select(candidates, 0.3);

            int expected = (3 * n + 9) / 10;
            Assert.True(expected == selection.Kept.Count, $"n={n}: kept {selection.Kept.Count}, expected {expected}");
            var best = candidates.OrderByDescending(c => c.Score).Take(expected).Select(c => c.Candidate.CandidateId);
            Assert.Equal(best, selection.Kept.Select(k => k.Candidate.CandidateId));
        }
    }

    [Fact]
    public void Select_best_first_with_threshold()
    {
        var candidates = new[]
        {
            TestData.WithId("a", 0.1), TestData.WithId("b", 0.9), TestData.WithId("c", 0.5), TestData.WithId("d", 0.7),
            TestData.WithId("e", -1.0), TestData.WithId("f", 0.3), TestData.WithId("g", 0.8), TestData.WithId("h", 0.2),
            TestData.WithId("i", 0.6), TestData.WithId("j", 0.4),
        };

        var selection = TopFractionSelector.Select(candidates, 0.3);

        Assert.Equal(["b", "g", "d"], selection.Kept.Select(k => k.Candidate.CandidateId));
        Assert.Equal(0.7, selection.Threshold);
    }

    [Fact]
    public void Select_breaks_ties_by_ascending_candidate_id()
    {
        var ids = new[] { "d", "b", "e", "a", "c", "f", "h", "g", "j", "i" };
        var candidates = ids.Select(id => TestData.WithId(id, 0.5)).ToArray();

        var forward = TopFractionSelector.Select(candidates, 0.3);
        var reversed = TopFractionSelector.Select(candidates.Reverse().ToArray(), 0.3);

        Assert.Equal(["a", "b", "c"], forward.Kept.Select(k => k.Candidate.CandidateId));
        Assert.Equal(["a", "b", "c"], reversed.Kept.Select(k => k.Candidate.CandidateId));
        Assert.Equal(0.5, forward.Threshold);
    }

    [Fact]
    public void Select_orders_ids_by_ordinal_not_culture()
    {
        // Ordinal order puts upper case before lower case: "B" (0x42) < "a" (0x61).
        var candidates = new[] { TestData.WithId("a", 1.0), TestData.WithId("B", 1.0), TestData.WithId("c", 0.0) };

        var selection = TopFractionSelector.Select(candidates, 0.5);

        Assert.Equal(["B", "a"], selection.Kept.Select(k => k.Candidate.CandidateId));
    }

    [Fact]
    public void Select_cuts_ties_at_keep_count()
    {
        var candidates = new[]
        {
            TestData.WithId("x1", 0.9), TestData.WithId("x2", 0.5), TestData.WithId("x3", 0.5),
            TestData.WithId("x4", 0.5), TestData.WithId("x5", 0.1),
        };

        var selection = TopFractionSelector.Select(candidates, 0.4);

        Assert.Equal(["x1", "x2"], selection.Kept.Select(k => k.Candidate.CandidateId));
        Assert.Equal(0.5, selection.Threshold);
    }

    [Fact]
    public void Select_rejects_nan_score()
    {
        var candidates = new[] { TestData.WithId("a", 0.5), TestData.WithId("b", double.NaN) };

        var error = Assert.Throws<ArgumentException>(() => TopFractionSelector.Select(candidates, 0.3));
        Assert.Contains("NaN", error.Message);
    }

    [Fact]
    public void Select_rejects_empty_window()
    {
        Assert.Throws<ArgumentException>(() => TopFractionSelector.Select(Array.Empty<ScoredCandidate>(), 0.3));
    }
}
