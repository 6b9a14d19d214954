using RsStreamCurate.Synthesis;
using RsStreamCurate.Training;

namespace RsStreamCurate.Scoring.Tests;

public sealed class TrainingDataTests
{
    private static readonly Lazy<IReadOnlyList<ManifestEntry>> Rsicd = new(() => ManifestReader.Read(TestData.RsicdManifest).ToList());

    private static ManifestEntry Entry(string id, string? split, string? label = "Beach", params string[] captions) =>
        new(id, "images/" + id, label, captions, split, null, 1);

    [Fact]
    public void Rsicd_split_matches_official_counts()
    {
        var split = ImageSplit.ByImage(Rsicd.Value);

        Assert.Equal(611 + 74, split.Train.Count);
        Assert.Equal(90, split.Test.Count);
    }

    [Fact]
    public void Split_shares_no_image()
    {
        var split = ImageSplit.ByImage(Rsicd.Value);

        var trainImages = split.Train.Select(e => e.ImagePath).ToHashSet();
        Assert.DoesNotContain(split.Test, e => trainImages.Contains(e.ImagePath));
        Assert.Empty(split.Test.Select(e => e.ImageId).Intersect(split.Train.Select(e => e.ImageId)));
    }

    [Fact]
    public void Image_with_two_splits_is_rejected()
    {
        var entries = new[] { Entry("a.jpg", "train"), Entry("a.jpg", "test") };

        var error = Assert.Throws<InvalidDataException>(() => ImageSplit.ByImage(entries));
        Assert.Contains("a.jpg", error.Message);
    }

    [Fact]
    public void Entries_without_split_are_assigned_stably()
    {
        var entries = Enumerable.Range(0, 400).Select(i => Entry($"img{i}.jpg", null)).ToList();

        var first = ImageSplit.ByImage(entries, 0.25);
        var second = ImageSplit.ByImage(entries, 0.25);

        Assert.Equal(first.Test.Select(e => e.ImageId), second.Test.Select(e => e.ImageId));
        Assert.InRange(first.Test.Count, 60, 140);
    }

    [Fact]
    public void Chosen_captions_skip_empty_and_repeated()
    {
        var entry = Entry("b.jpg", "train", "Bridge", "a bridge over a river", "", "  A bridge over a river. ", "cars on a bridge", "   ");

        Assert.Equal(["a bridge over a river", "cars on a bridge"], PreferencePairBuilder.ChosenCaptions(entry));
    }

    [Fact]
    public void Rsicd_empty_caption_is_never_chosen()
    {
        var pairs = PreferencePairBuilder.Build(Rsicd.Value, seed: 1);

        Assert.DoesNotContain(pairs, p => string.IsNullOrWhiteSpace(p.Chosen));
        Assert.DoesNotContain(pairs, p => p.Chosen == p.Rejected);
    }

    [Fact]
    public void Pairs_cover_every_kind_and_repeat_with_seed()
    {
        var entries = ImageSplit.ByImage(Rsicd.Value).Test;

        var first = PreferencePairBuilder.Build(entries, seed: 5);
        var second = PreferencePairBuilder.Build(entries, seed: 5);

        Assert.Equal(first, second);
        var kinds = first.Select(p => p.Kind).ToHashSet();
        foreach (var kind in CaptionDefects.AllKinds)
        {
            Assert.Contains(CaptionDefects.Name(kind), kinds);
        }

        Assert.Contains(PreferencePairBuilder.RelevanceKind, kinds);
    }

    [Fact]
    public void Relevance_pairs_use_another_label()
    {
        var entries = Rsicd.Value;
        var labelByCaption = entries
            .SelectMany(e => e.Captions.Select(c => (Caption: c.Trim(), e.Label)))
            .GroupBy(x => x.Caption)
            .ToDictionary(g => g.Key, g => g.Select(x => x.Label).ToHashSet());
        var labelById = entries.ToDictionary(e => e.ImageId, e => e.Label);

        var relevance = PreferencePairBuilder.Build(entries, seed: 2).Where(p => p.Kind == PreferencePairBuilder.RelevanceKind).ToList();

        Assert.NotEmpty(relevance);
        Assert.All(relevance, p => Assert.Contains(labelByCaption[p.Rejected], label => label != labelById[p.ImageId]));
    }
}
