using RsStreamCurate.Contracts;

namespace RsStreamCurate.Synthesis.Tests;

public sealed class CandidateFeedTests
{
    private static string SampleManifest
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "deploy", "sample", "captions.jsonl");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new FileNotFoundException("deploy/sample/captions.jsonl was not found above the test output folder.");
        }
    }

    [Fact]
    public void Sample_feed_covers_every_image()
    {
        var feed = new CandidateFeed(new SynthesisOptions { Manifest = SampleManifest }, TimeProvider.System);

        var items = feed.Enumerate(CancellationToken.None).ToList();

        Assert.All(items, i => Assert.NotNull(i.Candidate));
        Assert.Equal(125, items.Select(i => i.Candidate!.ImageId).Distinct().Count());
        Assert.Contains(items, i => i.Candidate!.Generator == "rule.boxes" && i.Candidate.ImageUri == "images/P1888.png");
        Assert.Equal(items.Count, items.Select(i => i.Candidate!.CandidateId).Distinct().Count());
    }

    [Fact]
    public void Candidate_ids_repeat_across_runs()
    {
        var options = new SynthesisOptions { Manifest = SampleManifest };

        var first = new CandidateFeed(options, TimeProvider.System).Enumerate(CancellationToken.None).Select(i => i.Candidate!.CandidateId);
        var second = new CandidateFeed(options, TimeProvider.System).Enumerate(CancellationToken.None).Select(i => i.Candidate!.CandidateId);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Looping_feed_continues_past_end()
    {
        var feed = new CandidateFeed(new SynthesisOptions { Manifest = SampleManifest, Loop = true }, TimeProvider.System);
        int onePass = new CandidateFeed(new SynthesisOptions { Manifest = SampleManifest }, TimeProvider.System).Enumerate(CancellationToken.None).Count();

        var items = feed.Enumerate(CancellationToken.None).Take(onePass * 2 + 1).ToList();

        Assert.Equal(2, items[^1].Pass);
    }

    [Fact]
    public void Bad_lines_become_dead_letter_items()
    {
        var folder = Directory.CreateTempSubdirectory();
        try
        {
            var manifest = Path.Combine(folder.FullName, "m.jsonl");
            File.WriteAllLines(manifest,
            [
                "{\"image\":\"a.jpg\",\"label\":\"Beach\",\"captions\":[\"waves on a sandy beach next to the sea\"]}",
                "{oops",
                "{\"image\":\"b.png\",\"boxes\":\"missing.txt\"}",
            ]);
            var feed = new CandidateFeed(new SynthesisOptions { Manifest = manifest }, TimeProvider.System);

            var items = feed.Enumerate(CancellationToken.None).ToList();
            var problems = items.Where(i => i.Reason is not null).ToList();

            Assert.Equal(2, problems.Count);
            Assert.All(problems, p => Assert.Equal(DeadLetterReasons.InvalidManifestLine, p.Reason));
            Assert.Equal("{oops", problems[0].RawLine);
            Assert.Contains("missing.txt", problems[1].Detail);
            Assert.Contains(items, i => i.Candidate?.ImageId == "a.jpg");
        }
        finally
        {
            folder.Delete(true);
        }
    }

    [Fact]
    public void Image_outside_root_keeps_parent_segments()
    {
        Assert.Equal("../x/a.jpg", CandidateFeed.ToImageUri("/data/root", "/data/x", "a.jpg"));
        Assert.Equal("images/a.jpg", CandidateFeed.ToImageUri("/data/root", "/data/root", "images/a.jpg"));
    }
}
