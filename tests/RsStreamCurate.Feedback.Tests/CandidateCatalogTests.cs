using RsStreamCurate.Contracts;
using RsStreamCurate.Feedback.Catalog;

namespace RsStreamCurate.Feedback.Tests;

public sealed class CandidateCatalogTests
{
    private static readonly DateTimeOffset Start = new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Least_recent_image_is_evicted()
    {
        var catalog = new CandidateCatalog(maxImages: 2, maxCandidatesPerImage: 4);

        catalog.Update(Scored("a", "first", 1, 0));
        catalog.Update(Scored("b", "first", 1, 1));
        catalog.Update(Scored("a", "second", 1, 2));
        catalog.Update(Scored("c", "first", 1, 3));

        Assert.Equal(2, catalog.ImageCount);
        Assert.True(catalog.ContainsImage("a"));
        Assert.False(catalog.ContainsImage("b"));
        Assert.True(catalog.ContainsImage("c"));
    }

    [Fact]
    public void Oldest_candidate_of_full_image_is_evicted()
    {
        var catalog = new CandidateCatalog(maxImages: 10, maxCandidatesPerImage: 2);

        catalog.Update(Scored("a", "one", 1, 0));
        catalog.Update(Scored("a", "two", 2, 1));
        catalog.Update(Scored("a", "three", 3, 2));

        Assert.Null(catalog.Find("a", Id("a", "one")));
        Assert.NotNull(catalog.Find("a", Id("a", "two")));
        Assert.NotNull(catalog.Find("a", Id("a", "three")));
    }

    [Fact]
    public void Older_score_does_not_replace_newer()
    {
        var catalog = new CandidateCatalog(maxImages: 10, maxCandidatesPerImage: 4);

        catalog.Update(Scored("a", "one", 5, 10, "reward-v2"));
        catalog.Update(Scored("a", "one", 1, 5, "reward-v1"));

        var candidate = catalog.Find("a", Id("a", "one"));
        Assert.NotNull(candidate);
        Assert.Equal(5, candidate.Score);
        Assert.Equal("reward-v2", candidate.ModelVersion);
    }

    [Fact]
    public void Identical_texts_are_never_paired()
    {
        var catalog = new CandidateCatalog(maxImages: 10, maxCandidatesPerImage: 4);

        catalog.Update(Scored("a", "same", 1, 0, generator: "human"));
        catalog.Update(Scored("a", "same", 1, 1, generator: "rule.label"));

        Assert.Null(catalog.FindClosestPair((_, _, _) => false));
    }

    private static string Id(string imageId, string text, string generator = "test") => CandidateId.Compute(imageId, text, generator);

    private static ScoredCandidate Scored(string imageId, string text, double score, int second, string modelVersion = "reward-v1", string generator = "test") => new()
    {
        Candidate = new CandidateCaption
        {
            CandidateId = Id(imageId, text, generator),
            ImageId = imageId,
            ImageUri = $"{imageId}.png",
            Text = text,
            Generator = generator,
        },
        Score = score,
        ModelVersion = modelVersion,
        ScoredAt = Start.AddSeconds(second),
    };
}
