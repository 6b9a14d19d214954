namespace RsStreamCurate.Synthesis.Tests;

public sealed class ManifestReaderTests
{
    [Fact]
    public void Rsicd_manifest_reads_every_image()
    {
        var entries = ManifestReader.Read(SharedData.RsicdManifest).ToList();

        Assert.Equal(775, entries.Count);
        Assert.Equal(775, entries.Select(e => e.ImageId).Distinct().Count());
        Assert.All(entries, e => Assert.Equal(5, e.Captions.Count));
        Assert.All(entries, e => Assert.StartsWith("images/", e.ImagePath));
        Assert.Equal(611, entries.Count(e => e.Split == "train"));
    }

    [Fact]
    public void Empty_caption_is_kept_by_reader()
    {
        var bridge = ManifestReader.Read(SharedData.RsicdManifest).Single(e => e.ImageId == "bridge_59.jpg");

        Assert.Equal(string.Empty, bridge.Captions[2]);
        Assert.Equal(4, CaptionSynthesizer.DistinctHumanCaptions(bridge.Captions).Count());
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("[1,2]", "expected a JSON object")]
    [InlineData("{\"label\":\"Beach\"}", "\"image\" field is missing")]
    [InlineData("{\"image\":\"a.jpg\",\"captions\":\"one\"}", "must be an array")]
    [InlineData("{\"image\":\"a.jpg\",\"captions\":[1]}", "must be a string")]
    public void Invalid_line_names_line_and_problem(string line, string expected)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path, ["{\"image\":\"ok.jpg\",\"captions\":[\"a beach\"]}", line]);

            var results = ManifestReader.ReadLenient(path).ToList();
            var error = Assert.Single(results, r => r.Error is not null).Error!;

            Assert.Contains(":2:", error);
            Assert.Contains(expected, error);
            Assert.Throws<ManifestException>(() => ManifestReader.Read(path).ToList());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Missing_manifest_names_path()
    {
        var error = Assert.Throws<ManifestException>(() => ManifestReader.Read("/nonexistent/manifest.jsonl").ToList());

        Assert.Contains("/nonexistent/manifest.jsonl", error.Message);
    }

    [Fact]
    public void Dota_labels_count_categories()
    {
        var counts = DotaLabels.Read(SharedData.DotaLabels("P1888.txt"));

        Assert.Equal(50, counts.ByCategory["large-vehicle"]);
        Assert.Equal(14, counts.ByCategory["small-vehicle"]);
        Assert.Equal(64, counts.Total);
        Assert.Equal("there are 50 large vehicles and 14 small vehicles in this image", CaptionSynthesizer.DescribeCounts(counts));
    }
}
