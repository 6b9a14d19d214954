using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using RsStreamCurate.Synthesis;
using RsStreamCurate.Training.Experiments;

namespace RsStreamCurate.Scoring.Tests;

/// <summary>Runs without other test classes in parallel, so the experiment's torch.manual_seed calls and draws from the
/// process-wide libtorch generator cannot change the weights of another class's seeded training run.</summary>
[CollectionDefinition(nameof(CurationExperimentTests), DisableParallelization = true)]
public sealed class CurationExperimentCollection;

[Collection(nameof(CurationExperimentTests))]
public sealed class CurationExperimentTests : IDisposable
{
    private readonly DirectoryInfo _scratch = TestData.CreateScratchFolder();

    public void Dispose() => _scratch.Delete(recursive: true);

    [Theory]
    [InlineData(10, 0.3, 3)]
    [InlineData(7, 0.3, 3)]
    [InlineData(4863, 0.3, 1459)]
    [InlineData(4863, 0.1, 487)]
    [InlineData(100, 0.07, 7)]
    [InlineData(5, 0.1, 1)]
    [InlineData(5, 1.0, 5)]
    [InlineData(0, 0.3, 0)]
    public void Keep_count_is_ceiling_of_fraction(int count, double fraction, int expected)
    {
        Assert.Equal(expected, PoolSelector.KeepCount(count, fraction));
    }

    [Fact]
    public void Selection_sizes_follow_fraction()
    {
        var pool = ScoredPool(
            (0, "human", null, 1.0, 0.1), (0, "synthetic.generic", "generic", 0.5, 0.9), (0, "rule.label", null, 0.2, 0.5),
            (1, "human", null, 0.9, 0.2), (1, "synthetic.garbled", "garbled", 0.1, 0.8), (1, "synthetic.truncated", "truncated", 0.3, 0.7),
            (2, "human", null, 0.8, 0.3));

        foreach (var spec in SelectionSpec.Standard)
        {
            var selected = PoolSelector.Select(pool, spec, new Random(1));

            Assert.Equal(PoolSelector.KeepCount(7, spec.Fraction), selected.Length);
            Assert.Equal(selected.Length, selected.Distinct().Count());
        }
    }

    [Fact]
    public void Scorer_and_clip_selections_differ()
    {
        // The learned score prefers the human captions and the CLIP-score the defective ones.
        var pool = ScoredPool(
            (0, "human", null, 1.0, 0.1), (0, "synthetic.generic", "generic", 0.5, 0.9), (0, "rule.label", null, 0.2, 0.5),
            (1, "human", null, 0.9, 0.2), (1, "synthetic.garbled", "garbled", 0.1, 0.8), (1, "synthetic.truncated", "truncated", 0.3, 0.7),
            (2, "human", null, 0.8, 0.3));

        var byScorer = PoolSelector.Select(pool, new SelectionSpec("s", SelectionRanking.Scorer, 0.3), new Random(1));
        var byClip = PoolSelector.Select(pool, new SelectionSpec("c", SelectionRanking.ClipScore, 0.3), new Random(1));

        Assert.Equal([0, 3, 6], byScorer);
        Assert.Equal([1, 4, 5], byClip);
    }

    [Fact]
    public void Top_fraction_breaks_ties_by_index()
    {
        Assert.Equal([1, 2, 0], PoolSelector.TopFraction([0.5, 0.7, 0.7, 0.1], 0.75));
    }

    [Fact]
    public void Top_fraction_rejects_nan()
    {
        Assert.Throws<ArgumentException>(() => PoolSelector.TopFraction([0.5, double.NaN], 0.5));
    }

    [Fact]
    public void Random_selection_depends_on_seed()
    {
        var first = PoolSelector.RandomFraction(1000, 0.3, new Random(1));
        var again = PoolSelector.RandomFraction(1000, 0.3, new Random(1));
        var other = PoolSelector.RandomFraction(1000, 0.3, new Random(2));

        Assert.Equal(300, first.Length);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Recall_at_k_on_hand_made_matrix()
    {
        // Query 0 ranks its item 1st, query 1 3rd and query 2 2nd. Query 3 has no relevant item and is skipped.
        float[,] similarity =
        {
            { 0.9f, 0.1f, 0.2f, 0.0f },
            { 0.8f, 0.7f, 0.1f, 0.6f },
            { 0.3f, 0.4f, 0.5f, 0.1f },
            { 0.1f, 0.2f, 0.3f, 0.4f },
        };
        bool[,] relevant =
        {
            { true, false, false, false },
            { false, false, false, true },
            { false, true, false, false },
            { false, false, false, false },
        };

        Assert.Equal(1.0 / 3, RetrievalMetrics.RecallAtK(similarity, relevant, 1), 10);
        Assert.Equal(2.0 / 3, RetrievalMetrics.RecallAtK(similarity, relevant, 2), 10);
        Assert.Equal(1.0, RetrievalMetrics.RecallAtK(similarity, relevant, 3), 10);
    }

    [Fact]
    public void Recall_counts_best_of_several_relevant_items()
    {
        float[,] similarity = { { 0.9f, 0.8f, 0.1f, 0.7f } };
        bool[,] relevant = { { false, false, true, true } };

        Assert.Equal(0.0, RetrievalMetrics.RecallAtK(similarity, relevant, 2));
        Assert.Equal(1.0, RetrievalMetrics.RecallAtK(similarity, relevant, 3));
    }

    [Fact]
    public void Recall_rejects_mismatched_shapes()
    {
        Assert.Throws<ArgumentException>(() => RetrievalMetrics.RecallAtK(new float[2, 3], new bool[3, 2], 1));
    }

    [Fact]
    public void Zero_shot_accuracy_on_hand_made_case()
    {
        float[,] imageToClass =
        {
            { 0.9f, 0.1f, 0.0f },
            { 0.2f, 0.3f, 0.8f },
            { 0.5f, 0.4f, 0.1f },
            { 0.3f, 0.3f, 0.1f },
        };

        // Image 3 ties between classes 0 and 1 and is assigned class 0.
        Assert.Equal(0.5, RetrievalMetrics.ZeroShotAccuracy(imageToClass, [0, 2, 1, 1]), 10);
        Assert.Equal(0.75, RetrievalMetrics.ZeroShotAccuracy(imageToClass, [0, 2, 1, 0]), 10);
    }

    [Fact]
    public void Best_of_n_picks_highest_key_per_image()
    {
        var pool = ScoredPool(
            (0, "human", null, 1.0, 0.1), (0, "synthetic.generic", "generic", 0.5, 0.9), (0, "rule.label", null, 0.2, 0.5),
            (1, "synthetic.garbled", "garbled", 0.9, 0.8), (1, "human", null, 0.3, 0.2),
            (2, "rule.label", null, 0.8, 0.3), (2, "human", null, 0.8, 0.4));

        Assert.Equal([0, 3, 5], BestOfN.PickBest(pool, c => c.Score));
        Assert.Equal([1, 3, 6], BestOfN.PickBest(pool, c => c.ClipScore));

        var result = BestOfN.Evaluate(pool, "test");
        var scorer = result.Picks.Single(p => p.Rule == BestOfN.ScorerRule);
        var clip = result.Picks.Single(p => p.Rule == BestOfN.ClipScoreRule);
        var random = result.Picks.Single(p => p.Rule == BestOfN.RandomRule);
        Assert.Equal(3, result.Images);
        Assert.Equal(7.0 / 3, result.MeanCandidates, 10);
        Assert.Equal(1.0 / 3, scorer.HumanFraction, 10);
        Assert.Equal(2.0 / 3, scorer.NonDefectiveFraction, 10);
        Assert.Equal(1.0 / 3, clip.HumanFraction, 10);
        Assert.Equal(1.0 / 3, clip.NonDefectiveFraction, 10);
        Assert.Equal((1.0 / 3 + 1.0 / 2 + 1.0 / 2) / 3, random.HumanFraction, 10);
        Assert.Equal((2.0 / 3 + 1.0 / 2 + 1.0) / 3, random.NonDefectiveFraction, 10);
    }

    [Fact]
    public void Metric_summary_uses_sample_deviation()
    {
        var summary = MetricSummary.Of([0.2, 0.4, 0.6]);

        Assert.Equal(0.4, summary.Mean, 10);
        Assert.Equal(0.2, summary.StandardDeviation, 10);
        Assert.Equal(0.0, MetricSummary.Of([0.3]).StandardDeviation);
    }

    [Fact]
    public void Tiny_experiment_writes_every_selection()
    {
        var entries = ManifestReader.Read(TestData.RsicdManifest).ToList();
        string poolManifest = WriteManifest("pool.jsonl", entries.Where(e => e.Split is "train" or "val").Take(10));
        string heldOutManifest = WriteManifest("heldout.jsonl", entries.Where(e => e.Split == "test").Take(6));
        var options = new CurationExperimentOptions
        {
            TrainManifestPath = poolManifest,
            EvalManifestPath = heldOutManifest,
            ImageRoot = TestData.RsicdFolder,
            CheckpointDirectory = TestData.ShippedCheckpoint,
            Seeds = 2,
            Steps = 2,
            BatchSize = 6,
        };

        var report = CurationExperiment.Run(options, NullLogger.Instance);
        string jsonPath = Path.Combine(_scratch.FullName, "summary.json");
        report.WriteJson(jsonPath);

        using var json = JsonDocument.Parse(File.ReadAllText(jsonPath));
        var selections = json.RootElement.GetProperty("selections").EnumerateArray().ToList();
        Assert.Equal(SelectionSpec.Standard.Select(s => s.Name), selections.Select(s => s.GetProperty("name").GetString()));
        foreach (var selection in selections)
        {
            foreach (var metric in new[] { "classification_accuracy", "image_to_text_r1", "image_to_text_r5", "text_to_image_r1", "text_to_image_r5" })
            {
                var summary = selection.GetProperty(metric);
                Assert.InRange(summary.GetProperty("mean").GetDouble(), 0.0, 1.0);
                Assert.True(summary.GetProperty("standard_deviation").GetDouble() >= 0, $"{metric} has a negative deviation");
                Assert.Equal(2, summary.GetProperty("per_seed").GetArrayLength());
            }
        }

        Assert.Equal(report.PoolCandidates, report.Selections[0].Pairs);
        Assert.Equal(PoolSelector.KeepCount(report.PoolCandidates, 0.1), report.Selections.Single(s => s.Name == "scorer-top-10").Pairs);
        Assert.Equal(10, report.PoolImages);
        Assert.Equal(6, report.HeldOutImages);
        Assert.Equal(["held-out", "training pool"], json.RootElement.GetProperty("best_of_n").EnumerateArray().Select(b => b.GetProperty("image_set").GetString()));
        Assert.Equal(RewardCheckpoint.ReadMetadata(TestData.ShippedCheckpoint).ModelVersion, json.RootElement.GetProperty("scorer_model_version").GetString());
    }

    [Fact]
    public void Experiment_rejects_overlapping_manifests()
    {
        var entries = ManifestReader.Read(TestData.RsicdManifest).Take(6).ToList();
        string manifest = WriteManifest("both.jsonl", entries);
        var options = new CurationExperimentOptions
        {
            TrainManifestPath = manifest,
            EvalManifestPath = manifest,
            ImageRoot = TestData.RsicdFolder,
            CheckpointDirectory = TestData.ShippedCheckpoint,
        };

        var error = Assert.Throws<InvalidDataException>(() => CurationExperiment.Run(options, NullLogger.Instance));
        Assert.Contains(entries[0].ImageId, error.Message);
    }

    private static CandidatePool ScoredPool(params (int Image, string Generator, string? Defect, double Score, double ClipScore)[] rows)
    {
        var images = Enumerable.Range(0, rows.Max(r => r.Image) + 1)
            .Select(i => new ManifestEntry($"image{i}", $"images/image{i}.jpg", "Beach", [], "train", null))
            .ToList();
        var candidates = rows.Select((r, i) => new PoolCandidate(r.Image, $"caption {i}", r.Generator, r.Defect) { Score = r.Score, ClipScore = r.ClipScore }).ToList();
        return new CandidatePool(images, candidates);
    }

    // Writes the original manifest lines of the entries, so the paths stay relative to the RSICD folder.
    private string WriteManifest(string name, IEnumerable<ManifestEntry> entries)
    {
        var lines = File.ReadAllLines(TestData.RsicdManifest);
        string path = Path.Combine(_scratch.FullName, name);
        File.WriteAllLines(path, entries.Select(e => lines[e.LineNumber - 1]));
        return path;
    }

}
