namespace RsStreamCurate.Synthesis.Tests;

public sealed class CaptionSynthesizerTests
{
    [Fact]
    public void Rsicd_image_gets_mixed_quality_candidates()
    {
        var entry = ManifestReader.Read(SharedData.RsicdManifest).First(e => e.ImageId == "00692.jpg");

        var candidates = new CaptionSynthesizer().Synthesize(entry, new Random(1));

        Assert.Equal(4, candidates.Count(c => c.Generator == "human"));
        Assert.Single(candidates, c => c.Generator == "rule.label");
        Assert.Equal(4, candidates.Count(c => c.Defect is not null));
        Assert.All(candidates.Where(c => c.Defect is not null), c => Assert.Equal("synthetic." + c.Defect, c.Generator));
        Assert.Equal(candidates.Count, candidates.Select(c => c.Text).Distinct().Count());
    }

    [Fact]
    public void Box_counts_add_rule_caption()
    {
        var entry = new ManifestEntry("P1888.png", "images/P1888.png", null, [], null, "labelTxt/P1888.txt");
        var counts = DotaLabels.Read(SharedData.DotaLabels("P1888.txt"));

        var candidates = new CaptionSynthesizer().Synthesize(entry, new Random(1), counts);

        var rule = Assert.Single(candidates, c => c.Generator == "rule.boxes");
        Assert.Contains("50 large vehicles", rule.Text);
        Assert.Contains(candidates, c => c.Defect == "generic");
    }

    [Fact]
    public void Empty_and_repeated_captions_are_dropped()
    {
        var entry = new ManifestEntry("x.jpg", "images/x.jpg", "Beach", ["a beach", "", "a beach", "  ", "waves on a beach"], null, null);

        var humans = new CaptionSynthesizer().Synthesize(entry, new Random(1)).Where(c => c.Generator == "human").Select(c => c.Text);

        Assert.Equal(["a beach", "waves on a beach"], humans);
    }

    [Fact]
    public void Same_seed_gives_same_candidates()
    {
        var entry = ManifestReader.Read(SharedData.RsicdManifest).First();

        var first = new CaptionSynthesizer().Synthesize(entry, new Random(3));
        var second = new CaptionSynthesizer().Synthesize(entry, new Random(3));

        Assert.Equal(first, second);
    }
}
