using RsStreamCurate.Synthesis;
using RsStreamCurate.Training;

namespace RsStreamCurate.Scoring.Tests;

public sealed class ShippedCheckpointTests
{
    [Fact]
    public void Shipped_model_reproduces_its_metrics()
    {
        var directory = TestData.ShippedCheckpoint;
        var stored = RewardCheckpoint.ReadMetadata(directory).Evaluation!;

        var kinds = stored.DefectKinds!.Select(name => CaptionDefects.AllKinds.Single(kind => CaptionDefects.Name(kind) == name)).ToList();

        var report = RewardEvaluator.Evaluate(new EvaluationOptions { CheckpointDirectory = directory, ManifestPath = TestData.RsicdManifest, DefectKinds = kinds });

        Assert.Equal(RewardCheckpoint.ReadMetadata(directory).ModelVersion, report.ModelVersion);
        Assert.Equal(stored.Overall.Pairs, report.Metrics.Overall.Pairs);
        Assert.Equal(stored.Overall.Learned, report.Metrics.Overall.Learned, 6);
        Assert.Equal(stored.Overall.ClipScore, report.Metrics.Overall.ClipScore, 6);
        Assert.True(report.Metrics.Overall.Learned > report.Metrics.Overall.ClipScore + 0.05,
            $"learned {report.Metrics.Overall.Learned:P1} should clearly beat CLIP-score {report.Metrics.Overall.ClipScore:P1}");
    }

    [Fact]
    public void Shipped_model_fits_size_budget()
    {
        var directory = TestData.ShippedCheckpoint;

        long bytes = new DirectoryInfo(directory).EnumerateFiles().Sum(file => file.Length);

        Assert.True(bytes <= 20L * 1024 * 1024, $"{directory} has {bytes} bytes, above 20 MB");
    }
}
