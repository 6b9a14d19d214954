using RsStreamCurate.Contracts;
using TorchSharp;

namespace RsStreamCurate.Scoring.Tests;

[Collection(TorchRandomCollection.Name)]
public sealed class RewardScorerTests : IDisposable
{
    private static readonly string[] Images = ["airport_10.jpg", "beach_10.jpg", "forest_102.jpg"];

    private readonly DirectoryInfo _scratch = TestData.CreateScratchFolder();
    private readonly string _imageRoot;

    public RewardScorerTests()
    {
        _imageRoot = Path.Combine(_scratch.FullName, "images");
        Directory.CreateDirectory(_imageRoot);
        foreach (var name in Images)
        {
            File.Copy(Path.Combine(TestData.RsicdFolder, "images", name), Path.Combine(_imageRoot, name));
        }

        File.WriteAllBytes(Path.Combine(_imageRoot, "empty.jpg"), []);
    }

    public void Dispose() => _scratch.Delete(recursive: true);

    // A small randomly initialised model whose batch-norm statistics moved away from their defaults, so a
    // checkpoint that lost them would score differently.
    private static RewardCheckpoint CreateCheckpoint(string version, int seed)
    {
        torch.manual_seed(seed);
        var tokenizer = CaptionTokenizer.Build(["a plane on the runway", "a beach with waves", "many green trees"], 1, 16);
        var options = new RewardModelOptions
        {
            InputSize = 32,
            ImageBaseChannels = 8,
            EmbeddingSize = 32,
            TextWidth = 32,
            TextHeads = 2,
            TextFeedForward = 64,
            MaxTokens = tokenizer.MaxLength,
            VocabularySize = tokenizer.VocabularySize,
            HeadHidden = 32,
        };
        var model = new RewardModel(options);

        model.train();
        using (var scope = torch.NewDisposeScope())
        {
            model.EncodeImages(torch.randn(4, 3, 32, 32) * 3 + 1);
        }

        model.eval();
        return new RewardCheckpoint(model, tokenizer, RewardCheckpoint.DescribeUntrained(version, model, tokenizer, 1));
    }

    private RewardScorer CreateScorer(RewardCheckpoint checkpoint, ImageEmbeddingCache? cache = null) =>
        new(checkpoint,
            new ImageLoader(new ImageLoaderOptions { ImageRoot = _imageRoot, InputSize = checkpoint.Model.Options.InputSize }),
            cache ?? new ImageEmbeddingCache(100),
            device: torch.CPU);

    private static readonly ScoringRequest[] GoodRequests =
    [
        new("airport_10.jpg", "a plane on the runway"),
        new("beach_10.jpg", "a beach with waves"),
        new("forest_102.jpg", "many green trees"),
        new("airport_10.jpg", "many green trees"),
    ];

    [Fact]
    public void Checkpoint_round_trip_gives_identical_scores()
    {
        var directory = Path.Combine(_scratch.FullName, "reward-test");
        IReadOnlyList<ScoringResult> before, after;
        var original = CreateCheckpoint("reward-test", 3);
        original.Save(directory);
        using (var scorer = CreateScorer(original))
        {
            before = scorer.ScoreBatch(GoodRequests);
        }

        using (var scorer = CreateScorer(RewardCheckpoint.Load(directory)))
        {
            after = scorer.ScoreBatch(GoodRequests);
            Assert.Equal("reward-test", scorer.ModelVersion);
        }

        Assert.All(before, result => Assert.True(result.Succeeded, result.ErrorMessage));
        Assert.Equal(before.Select(r => r.Score), after.Select(r => r.Score));
        Assert.Equal(before.Select(r => r.ClipScore), after.Select(r => r.ClipScore));
    }

    [Fact]
    public void Checkpoint_in_missing_folder_is_not_found()
    {
        Assert.Throws<FileNotFoundException>(() => RewardCheckpoint.Load(Path.Combine(_scratch.FullName, "missing")));
    }

    [Fact]
    public void Bad_items_get_errors_and_others_scores()
    {
        using var scorer = CreateScorer(CreateCheckpoint("reward-test", 4));

        var results = scorer.ScoreBatch(
        [
            new("airport_10.jpg", "a plane on the runway"),
            new("missing.jpg", "a plane on the runway"),
            new("empty.jpg", "a beach with waves"),
            new("../outside.jpg", "a beach with waves"),
            new("beach_10.jpg", "   "),
            new("beach_10.jpg", "a beach with waves"),
        ]);

        Assert.Equal(6, results.Count);
        Assert.True(results[0].Succeeded, results[0].ErrorMessage);
        Assert.Equal(DeadLetterReasons.ImageNotFound, results[1].ErrorReason);
        Assert.Equal(DeadLetterReasons.ImageEmpty, results[2].ErrorReason);
        Assert.Equal(DeadLetterReasons.PathOutsideImageRoot, results[3].ErrorReason);
        Assert.Equal(DeadLetterReasons.EmptyCaption, results[4].ErrorReason);
        Assert.True(results[5].Succeeded, results[5].ErrorMessage);
        Assert.Contains("missing.jpg", results[1].ErrorMessage);
        Assert.Null(results[1].Score);
        Assert.InRange(results[0].ClipScore!.Value, -1.0001, 1.0001);
    }

    [Fact]
    public void Scores_do_not_depend_on_batch_company()
    {
        using var scorer = CreateScorer(CreateCheckpoint("reward-test", 5));

        var together = scorer.ScoreBatch(GoodRequests);
        var alone = scorer.ScoreBatch([GoodRequests[2]]);

        Assert.Equal(together[2].Score!.Value, alone[0].Score!.Value, 5);
    }

    [Fact]
    public void Cache_decodes_each_image_once()
    {
        var cache = new ImageEmbeddingCache(100);
        using var scorer = CreateScorer(CreateCheckpoint("reward-test", 6), cache);

        scorer.ScoreBatch(GoodRequests);
        Assert.Equal(3, cache.Misses);
        Assert.Equal(0, cache.Hits);

        scorer.ScoreBatch(GoodRequests);
        Assert.Equal(3, cache.Misses);
        Assert.Equal(3, cache.Hits);
        Assert.Equal(0.5, cache.HitRatio, 6);
    }

    [Fact]
    public void Cache_evicts_least_recently_used()
    {
        var cache = new ImageEmbeddingCache(2);
        cache.Add("v1", "a", [1f]);
        cache.Add("v1", "b", [2f]);
        Assert.True(cache.TryGet("v1", "a", out _));

        cache.Add("v1", "c", [3f]);

        Assert.True(cache.TryGet("v1", "a", out _));
        Assert.False(cache.TryGet("v1", "b", out _));
        Assert.True(cache.TryGet("v1", "c", out _));
        Assert.False(cache.TryGet("v2", "a", out _));
    }

    [Fact]
    public void Offline_scoring_writes_one_row_per_input()
    {
        var checkpointDirectory = Path.Combine(_scratch.FullName, "reward-offline");
        using (var checkpoint = CreateCheckpoint("reward-offline", 7))
        {
            checkpoint.Save(checkpointDirectory);
        }

        var input = Path.Combine(_scratch.FullName, "in.jsonl");
        var output = Path.Combine(_scratch.FullName, "out.jsonl");
        File.WriteAllLines(input,
        [
            """{"image": "airport_10.jpg", "text": "a plane on the runway", "id": 1}""",
            "not json",
            "",
            """{"image": "missing.jpg", "text": "a plane"}""",
            """{"image": "beach_10.jpg"}""",
            """{"image": "beach_10.jpg", "text": "a beach with waves"}""",
        ]);

        var summary = OfflineScoring.Run(
            new OfflineScoringOptions { InputPath = input, OutputPath = output, CheckpointDirectory = checkpointDirectory, ImageRoot = _imageRoot, BatchSize = 2 },
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        var rows = File.ReadAllLines(output).Select(line => System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject()).ToList();
        Assert.Equal(5, rows.Count);
        Assert.Equal(new[] { 1, 2, 4, 5, 6 }, rows.Select(r => (int)r["line"]!));
        Assert.All(rows, r => Assert.Equal("reward-offline", (string?)r["model_version"]));
        Assert.NotNull(rows[0]["score"]);
        Assert.Equal(1, (int)rows[0]["id"]!);
        Assert.Equal(DeadLetterReasons.UnparseableMessage, (string?)rows[1]["reason"]);
        Assert.Equal(DeadLetterReasons.ImageNotFound, (string?)rows[2]["reason"]);
        Assert.Equal(DeadLetterReasons.MissingField, (string?)rows[3]["reason"]);
        Assert.NotNull(rows[4]["score"]);
        Assert.Equal(2, summary.Scored);
        Assert.Equal(3, summary.Failed);
    }
}
