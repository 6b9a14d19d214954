using Microsoft.Extensions.Logging.Abstractions;
using RsStreamCurate.Training;
using TorchSharp;

namespace RsStreamCurate.Scoring.Tests;

[Collection(TorchRandomCollection.Name)]
public sealed class RewardTrainerTests : IDisposable
{
    private readonly DirectoryInfo _scratch = TestData.CreateScratchFolder();

    public void Dispose() => _scratch.Delete(recursive: true);

    // A model and schedule small enough to train on 24 images in a few seconds.
    private TrainingOptions SmallRun(string name, int seed) => new()
    {
        ManifestPath = TestData.RsicdManifest,
        OutputDirectory = Path.Combine(_scratch.FullName, name),
        ModelVersion = name,
        Seed = seed,
        Model = new RewardModelOptions { InputSize = 32, ImageBaseChannels = 8, EmbeddingSize = 32, TextWidth = 32, TextHeads = 2, TextFeedForward = 64, HeadHidden = 32 },
        MaxTrainImages = 24,
        ContrastiveEpochs = 2,
        ContrastiveBatchSize = 12,
        PreferenceEpochs = 2,
        PreferenceBatchSize = 64,
        Evaluate = false,
    };

    [Fact]
    public void Contrastive_steps_lower_the_loss()
    {
        torch.manual_seed(11);
        var captions = new[] { "a plane on the runway", "a beach with waves", "many green trees", "a river and a bridge" };
        var tokenizer = CaptionTokenizer.Build(captions, 1, 12);
        using var model = new RewardModel(new RewardModelOptions
        {
            InputSize = 32, ImageBaseChannels = 8, EmbeddingSize = 32, TextWidth = 32, TextHeads = 2, TextFeedForward = 64,
            HeadHidden = 32, Dropout = 0, MaxTokens = tokenizer.MaxLength, VocabularySize = tokenizer.VocabularySize,
        });
        using var images = torch.randn(4, 3, 32, 32);
        var ids = new long[4 * tokenizer.MaxLength];
        for (int i = 0; i < 4; i++)
        {
            tokenizer.Encode(captions[i], ids.AsSpan(i * tokenizer.MaxLength, tokenizer.MaxLength));
        }

        using var tokens = torch.tensor(ids, [4, tokenizer.MaxLength]);
        using var optimizer = torch.optim.AdamW(model.parameters(), 1e-2);
        model.train();

        float Step()
        {
            using var scope = torch.NewDisposeScope();
            var loss = RewardLosses.Contrastive(model.EncodeImages(images), model.EncodeTexts(tokens), model.LogitScale(), RewardLosses.SameCaptionMask(captions, torch.CPU));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            return loss.item<float>();
        }

        float first = Step();
        float last = first;
        for (int step = 0; step < 15; step++)
        {
            last = Step();
        }

        Assert.True(last < first * 0.7f, $"loss went from {first} to {last}");
    }

    [Fact]
    public void Bradley_terry_loss_is_log_sigmoid()
    {
        using var chosen = torch.tensor(new float[] { 2f, 0f, -1f });
        using var rejected = torch.tensor(new float[] { 0f, 0f, 1f });

        using var loss = RewardLosses.BradleyTerry(chosen, rejected);

        double expected = (Math.Log(1 + Math.Exp(-2)) + Math.Log(2) + Math.Log(1 + Math.Exp(2))) / 3;
        Assert.Equal(expected, loss.item<float>(), 5);
    }

    [Fact]
    public void Weighted_bradley_terry_ignores_zero_weight()
    {
        using var chosen = torch.tensor(new float[] { 2f, -1f });
        using var rejected = torch.tensor(new float[] { 0f, 1f });
        using var weights = torch.tensor(new float[] { 3f, 0f });

        using var loss = RewardLosses.BradleyTerry(chosen, rejected, weights);

        Assert.Equal(Math.Log(1 + Math.Exp(-2)), loss.item<float>(), 5);
    }

    [Fact]
    public void Imported_preferences_join_stage_two()
    {
        var imageFolder = Directory.CreateDirectory(Path.Combine(_scratch.FullName, "labels", "images"));
        File.Copy(Path.Combine(TestData.RsicdFolder, "images", "airport_10.jpg"), Path.Combine(imageFolder.FullName, "airport_10.jpg"));
        var file = Path.Combine(_scratch.FullName, "labels", "prefs.jsonl");
        File.WriteAllLines(file,
        [
            """{"image": "images/airport_10.jpg", "chosen": "a plane is parked on the runway", "rejected": ["a ship in the harbor", "some trees"]}""",
            """{"image": "images/missing.jpg", "chosen": "a plane", "rejected": "a ship"}""",
        ]);
        var plain = SmallRun("plain", 5) with { PreferenceEpochs = 1, ContrastiveEpochs = 1 };
        var withFile = plain with { OutputDirectory = Path.Combine(_scratch.FullName, "imported"), ModelVersion = "imported", PreferenceFiles = [file], ImportedPairWeight = 2.5 };

        var plainReport = RewardTrainer.Train(plain, NullLogger.Instance);
        var report = RewardTrainer.Train(withFile, NullLogger.Instance);

        Assert.Equal(2, report.ImportedPairs);
        Assert.Equal(1, report.SkippedImportedPairs);
        Assert.Equal(plainReport.PreferencePairs + 2, report.PreferencePairs);
        Assert.NotEqual(plainReport.DataDigest, report.DataDigest);
        var lineage = RewardCheckpoint.ReadMetadata(withFile.OutputDirectory).Training!;
        Assert.Equal(2, lineage.ImportedPairCount);
        Assert.Equal([file], lineage.PreferenceFiles);
        Assert.Equal(2.5, lineage.Hyperparameters["imported_pair_weight"]);
    }

    [Fact]
    public void Imported_preferences_use_image_root()
    {
        var file = Path.Combine(_scratch.FullName, "rooted.jsonl");
        File.WriteAllLines(file, ["""{"image": "images/airport_10.jpg", "chosen": "a plane is parked on the runway", "rejected": "a ship in the harbor"}"""]);
        var options = SmallRun("rooted", 5) with
        {
            PreferenceEpochs = 1, ContrastiveEpochs = 1, PreferenceFiles = [file], PreferenceImageRoot = TestData.RsicdFolder,
        };

        var report = RewardTrainer.Train(options, NullLogger.Instance);

        Assert.Equal(1, report.ImportedPairs);
        Assert.Equal(0, report.SkippedImportedPairs);
    }

    [Fact]
    public void Missing_preference_file_fails()
    {
        var options = SmallRun("missing", 5) with { PreferenceFiles = [Path.Combine(_scratch.FullName, "absent.jsonl")] };

        var error = Assert.Throws<PreferenceFileException>(() => RewardTrainer.Train(options, NullLogger.Instance));

        Assert.Contains("absent.jsonl", error.Message);
    }

    [Fact]
    public void Small_run_trains_and_saves()
    {
        var options = SmallRun("reward-small", 3);

        var report = RewardTrainer.Train(options, NullLogger.Instance);

        Assert.Equal(24, report.TrainImages);
        Assert.Equal(2, report.ContrastiveEpochLosses.Count);
        Assert.Equal(2, report.PreferenceEpochLosses.Count);
        Assert.True(report.PreferenceEpochLosses[1] < report.PreferenceEpochLosses[0],
            $"Bradley-Terry loss went from {report.PreferenceEpochLosses[0]} to {report.PreferenceEpochLosses[1]}");
        Assert.True(report.PreferencePairs > 100, $"only {report.PreferencePairs} pairs");
        Assert.Matches("^[0-9a-f]{64}$", report.DataDigest);

        var metadata = RewardCheckpoint.ReadMetadata(options.OutputDirectory);
        Assert.Equal("reward-small", metadata.ModelVersion);
        Assert.Equal(3, metadata.Training!.Seed);
        Assert.Equal(report.DataDigest, metadata.Training.DataDigest);
    }

    [Fact]
    public void Same_seed_gives_identical_scores()
    {
        RewardTrainer.Train(SmallRun("run-a", 9), NullLogger.Instance);
        RewardTrainer.Train(SmallRun("run-b", 9), NullLogger.Instance);
        ScoringRequest[] requests =
        [
            new("images/airport_10.jpg", "a plane is on an airport runway"),
            new("images/airport_10.jpg", "many green trees in a forest"),
        ];

        double?[] Score(string name)
        {
            using var scorer = RewardScorer.Open(Path.Combine(_scratch.FullName, name), new ImageLoaderOptions { ImageRoot = TestData.RsicdFolder }, new ImageEmbeddingCache(10));
            return scorer.ScoreBatch(requests).Select(r => r.Score).ToArray();
        }

        var first = Score("run-a");
        var second = Score("run-b");

        Assert.All(first, score => Assert.NotNull(score));
        Assert.Equal(first, second);
    }

    [Fact]
    public void Resampling_changes_only_later_epochs()
    {
        // One epoch uses the first draw either way. A second epoch trains on new defects only when resampling.
        var oneEpoch = SmallRun("one", 11) with { PreferenceEpochs = 1 };
        RewardTrainer.Train(oneEpoch with { OutputDirectory = Path.Combine(_scratch.FullName, "one-fixed"), ResampleDefectsEachEpoch = false }, NullLogger.Instance);
        RewardTrainer.Train(oneEpoch with { OutputDirectory = Path.Combine(_scratch.FullName, "one-resampled") }, NullLogger.Instance);
        var twoEpochs = SmallRun("two", 11) with { PreferenceEpochs = 2 };
        RewardTrainer.Train(twoEpochs with { OutputDirectory = Path.Combine(_scratch.FullName, "two-fixed"), ResampleDefectsEachEpoch = false }, NullLogger.Instance);
        RewardTrainer.Train(twoEpochs with { OutputDirectory = Path.Combine(_scratch.FullName, "two-resampled") }, NullLogger.Instance);
        ScoringRequest[] requests =
        [
            new("images/airport_10.jpg", "a plane is on an airport runway"),
            new("images/airport_10.jpg", "a plane is is on an runway airport"),
        ];

        double?[] Score(string name)
        {
            using var scorer = RewardScorer.Open(Path.Combine(_scratch.FullName, name), new ImageLoaderOptions { ImageRoot = TestData.RsicdFolder }, new ImageEmbeddingCache(10));
            return scorer.ScoreBatch(requests).Select(r => r.Score).ToArray();
        }

        Assert.Equal(Score("one-fixed"), Score("one-resampled"));
        Assert.NotEqual(Score("two-fixed"), Score("two-resampled"));
    }

    [Fact]
    public void Evaluator_reports_every_kind()
    {
        var options = SmallRun("reward-eval", 4) with { MaxTrainImages = 12, PreferenceEpochs = 1, ContrastiveEpochs = 1 };
        RewardTrainer.Train(options, NullLogger.Instance);

        var report = RewardEvaluator.Evaluate(new EvaluationOptions { CheckpointDirectory = options.OutputDirectory, ManifestPath = TestData.RsicdManifest });

        Assert.Equal("reward-eval", report.ModelVersion);
        Assert.Equal(90, report.Metrics.ImageCount);
        Assert.Equal(0, report.SkippedPairs);
        Assert.Equal(report.Metrics.Overall.Pairs, report.Metrics.ByKind.Values.Sum(a => a.Pairs));
        Assert.Equal(RsStreamCurate.Synthesis.CaptionDefects.AllKinds.Count + 1, report.Metrics.ByKind.Count);
        Assert.InRange(report.Metrics.Overall.Learned, 0, 1);
        Assert.Equal(["relevance", "specificity", "completeness", "clarity", "richness"], report.Metrics.ByDimension!.Keys);
        Assert.Equal(report.Metrics.Overall.Pairs, report.Metrics.ByDimension.Values.Sum(a => a.Pairs));
        Assert.Equal(report.Metrics.ByKind["relevance"].Pairs + report.Metrics.ByKind["wrong_class"].Pairs
            + report.Metrics.ByKind["wrong_count"].Pairs + report.Metrics.ByKind["hallucinated_object"].Pairs, report.Metrics.ByDimension["relevance"].Pairs);
        Assert.Equal(report.Metrics.Overall.Pairs, report.Scores.Count);
        Assert.Equal(report.Metrics.Overall.Learned, report.Scores.Count(s => s.ChosenScore > s.RejectedScore) / (double)report.Scores.Count, 9);
    }
}
