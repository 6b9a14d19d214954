using Microsoft.Extensions.Logging.Abstractions;
using RsStreamCurate.Synthesis;
using RsStreamCurate.Training;
using RsStreamCurate.Training.Retraining;

namespace RsStreamCurate.Scoring.Tests;

[Collection(TorchRandomCollection.Name)]
public sealed class RewardFineTunerTests
{
    [Fact]
    public void Weighted_labels_fix_systematic_error()
    {
        var split = ImageSplit.ByImage(ManifestReader.Read(TestData.RsicdManifest).ToList());
        var vagueOnly = new PreferencePairOptions { DefectKinds = [DefectKind.Vague], RelevancePairsPerCaption = 0 };
        var labels = PreferencePairBuilder.Build(split.Train, seed: 11, vagueOnly);
        var synthetic = PreferencePairBuilder.Build(split.Train.Take(150).ToList(), seed: 12);
        var heldOutVague = PreferencePairBuilder.Build(split.Test, seed: 13, vagueOnly);
        var heldOutAll = PreferencePairBuilder.Build(split.Test, seed: 14);
        using var scratch = new ScratchFolder();
        var imageRoot = Path.GetDirectoryName(TestData.RsicdManifest)!;

        var report = RewardFineTuner.Run(new FineTuneOptions
        {
            BaseCheckpoint = TestData.ShippedCheckpoint,
            OutputDirectory = scratch.Path,
            ModelVersion = "reward-ft",
            ImageRoot = imageRoot,
            Pairs = [.. labels.Select(p => new WeightedPair(p, 5.0)), .. synthetic.Select(p => new WeightedPair(p, 1.0))],
            Epochs = 3,
        }, NullLogger.Instance);

        var before = Evaluate(TestData.ShippedCheckpoint, imageRoot, heldOutVague, heldOutAll);
        var after = Evaluate(scratch.Path, imageRoot, heldOutVague, heldOutAll);

        Assert.Equal("reward-ft", RewardCheckpoint.ReadMetadata(scratch.Path).ModelVersion);
        Assert.Equal(0, report.SkippedPairs);
        Assert.True(report.EpochLosses[^1] < report.EpochLosses[0], $"loss did not fall: {string.Join(", ", report.EpochLosses)}");
        Assert.True(after.Vague > before.Vague + 0.05, $"held-out vague accuracy {before.Vague:P1} -> {after.Vague:P1}");
        Assert.True(after.All > before.All - 0.03, $"held-out overall accuracy fell from {before.All:P1} to {after.All:P1}");
    }

    [Fact]
    public void Pairs_without_positive_weight_are_rejected()
    {
        var pair = new PreferencePair("a.jpg", "images/a.jpg", "a beach", "an aerial image", "generic");

        var error = Assert.Throws<ArgumentException>(() => RewardFineTuner.Run(new FineTuneOptions
        {
            BaseCheckpoint = TestData.ShippedCheckpoint,
            OutputDirectory = Path.GetTempPath(),
            ModelVersion = "x",
            ImageRoot = Path.GetTempPath(),
            Pairs = [new WeightedPair(pair, 0)],
        }, NullLogger.Instance));

        Assert.Contains("weight must be positive", error.Message);
    }

    private static (double Vague, double All) Evaluate(string checkpoint, string imageRoot, IReadOnlyList<PreferencePair> vague, IReadOnlyList<PreferencePair> all)
    {
        using var scorer = RewardScorer.Open(checkpoint, new ImageLoaderOptions { ImageRoot = imageRoot }, new ImageEmbeddingCache(2000));
        return (PairEvaluator.Evaluate(scorer, vague).Accuracy, PairEvaluator.Evaluate(scorer, all).Accuracy);
    }

    private sealed class ScratchFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("rscurate-finetune-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
