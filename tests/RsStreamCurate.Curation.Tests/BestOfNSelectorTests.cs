using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace RsStreamCurate.Curation.Tests;

public sealed class BestOfNSelectorTests
{
    [Fact]
    public void Keeps_best_candidate_per_image()
    {
        var candidates = new[]
        {
            TestData.Scored("a", "a first", 0.1),
            TestData.Scored("a", "a second", 2.5),
            TestData.Scored("a", "a third", -1.0),
            TestData.Scored("b", "b only", -3.0),
            TestData.Scored("c", "c first", 1.0),
            TestData.Scored("c", "c second", 0.9),
        };

        var selection = BestOfNSelector.Select(candidates);

        Assert.Equal(["a second", "c first", "b only"], selection.Kept.Select(k => k.Candidate.Text));
        Assert.Equal(-3.0, selection.Threshold);
    }

    [Fact]
    public void Equal_scores_keep_lower_id()
    {
        var first = TestData.Scored("a", "one caption", 1.0);
        var second = TestData.Scored("a", "another caption", 1.0);
        string lower = string.CompareOrdinal(first.Candidate.CandidateId, second.Candidate.CandidateId) < 0
            ? first.Candidate.CandidateId
            : second.Candidate.CandidateId;

        var forward = BestOfNSelector.Select([first, second]);
        var backward = BestOfNSelector.Select([second, first]);

        Assert.Equal(lower, Assert.Single(forward.Kept).Candidate.CandidateId);
        Assert.Equal(lower, Assert.Single(backward.Kept).Candidate.CandidateId);
    }

    [Fact]
    public void Empty_window_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => BestOfNSelector.Select([]));
    }

    [Fact]
    public void Engine_applies_best_of_n_policy()
    {
        var engine = new CurationEngine(
            Options.Create(new CurationOptions { Policy = CurationPolicy.BestOfN, WindowSize = 6, OutputDirectory = "unused" }),
            new FakeTimeProvider(TestData.Start),
            NullLogger<CurationEngine>.Instance);
        var candidates = Enumerable.Range(0, 6).Select(i => TestData.Scored($"img{i % 2}", $"caption {i}", i)).ToList();

        var closed = candidates.SelectMany((c, i) => engine.Add(c, TestData.Position(i))).ToList();

        var window = Assert.Single(closed);
        Assert.Equal(CurationPolicy.BestOfN, window.Policy);
        Assert.Equal(["caption 5", "caption 4"], window.Kept.Select(k => k.Candidate.Text));
        Assert.Equal("best_of_n", window.ToCuratedWindow().Policy);
        Assert.NotEqual(WindowIds.Compute("v1", 0.3, candidates.Select(c => c.Candidate.CandidateId)), window.WindowId);
    }
}
