using RsStreamCurate.Synthesis;
using RsStreamCurate.Training;

namespace RsStreamCurate.Scoring.Tests;

public sealed class ShippedCheckpointTests
{
    // The checkpoint committed under deploy/models, found from the test binaries upwards.
    private static string FindShippedCheckpoint()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "deploy", "models", "reward-v1");
            if (File.Exists(Path.Combine(candidate, RewardCheckpoint.MetadataFileName)))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("deploy/models/reward-v1 was not found above the test binaries.");
    }

    [Fact]
    public void Reward_v1_reproduces_its_metrics()
    {
        var directory = FindShippedCheckpoint();
        var stored = RewardCheckpoint.ReadMetadata(directory).Evaluation!;

        var kinds = stored.DefectKinds!.Select(name => CaptionDefects.AllKinds.Single(kind => CaptionDefects.Name(kind) == name)).ToList();

        var report = RewardEvaluator.Evaluate(new EvaluationOptions { CheckpointDirectory = directory, ManifestPath = TestData.RsicdManifest, DefectKinds = kinds });

        Assert.Equal("reward-v1", report.ModelVersion);
        Assert.Equal(stored.Overall.Pairs, report.Metrics.Overall.Pairs);
        Assert.Equal(stored.Overall.Learned, report.Metrics.Overall.Learned, 6);
        Assert.Equal(stored.Overall.ClipScore, report.Metrics.Overall.ClipScore, 6);
        Assert.True(report.Metrics.Overall.Learned > report.Metrics.Overall.ClipScore + 0.05,
            $"learned {report.Metrics.Overall.Learned:P1} should clearly beat CLIP-score {report.Metrics.Overall.ClipScore:P1}");
    }

    [Fact]
    public void Reward_v1_fits_size_budget()
    {
        var directory = FindShippedCheckpoint();

        long bytes = new DirectoryInfo(directory).EnumerateFiles().Sum(file => file.Length);

        Assert.True(bytes <= 20L * 1024 * 1024, $"deploy/models/reward-v1 has {bytes} bytes, above 20 MB");
    }
}
