using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RsStreamCurate.Scoring;
using RsStreamCurate.Synthesis;

namespace RsStreamCurate.Training;

/// <summary>Settings of <see cref="RewardEvaluator.Evaluate(EvaluationOptions, ILogger?)"/>.</summary>
public sealed record EvaluationOptions
{
    public required string CheckpointDirectory { get; init; }

    /// <summary>RSICD-style JSONL manifest; the test side of its split by image is evaluated.</summary>
    public required string ManifestPath { get; init; }

    /// <summary>Folder that image paths are relative to; defaults to the manifest's folder.</summary>
    public string? ImageRoot { get; init; }

    /// <summary>Seed of the defects applied to the test captions.</summary>
    public int Seed { get; init; } = RewardEvaluator.DefaultSeed;

    /// <summary>Defect kinds of the rejected test captions; null uses <see cref="CaptionDefects.AllKinds"/>.</summary>
    public IReadOnlyList<DefectKind>? DefectKinds { get; init; }

    /// <summary>Also write the result into the checkpoint's metadata.json.</summary>
    public bool WriteToCheckpoint { get; init; }
}

/// <summary>Result of one evaluation: which model, its held-out pair accuracies and the scores behind them.</summary>
public sealed record EvaluationReport(string ModelVersion, EvaluationMetrics Metrics, int SkippedPairs)
{
    /// <summary>Scores of every evaluated pair, in pair order, for plots of the score distributions.</summary>
    public IReadOnlyList<ScoredPreferencePair> Scores { get; init; } = [];
}

/// <summary>Learned reward and CLIP-score (cosine) of the chosen and the rejected caption of one held-out pair.</summary>
public sealed record ScoredPreferencePair(string Kind, double ChosenScore, double RejectedScore, double ChosenClipScore, double RejectedClipScore);

/// <summary>
/// Measures held-out preference-pair accuracy: the fraction of pairs where the chosen caption scores strictly
/// higher than the rejected one, for the learned reward and for the CLIP-score (cosine) of the same encoder.
/// </summary>
public static class RewardEvaluator
{
    /// <summary>Seed of the held-out defects; differs from the training seeds so test defects are fresh draws.</summary>
    public const int DefaultSeed = 90210;

    // Requests per ScoreBatch call during evaluation.
    private const int BatchSize = 256;

    /// <summary>Loads a checkpoint and evaluates it on the test images of a manifest.</summary>
    public static EvaluationReport Evaluate(EvaluationOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        logger ??= NullLogger.Instance;
        var imageRoot = options.ImageRoot ?? Path.GetDirectoryName(Path.GetFullPath(options.ManifestPath))!;
        var split = ImageSplit.ByImage(ManifestReader.Read(options.ManifestPath).ToList());
        if (split.Test.Count == 0)
        {
            throw new InvalidDataException($"Manifest {options.ManifestPath} has no test images; mark held-out images with split \"test\".");
        }

        using var scorer = RewardScorer.Open(options.CheckpointDirectory, new ImageLoaderOptions { ImageRoot = imageRoot }, new ImageEmbeddingCache(split.Test.Count + 1));
        var report = Evaluate(scorer, split.Test, options.Seed, options.DefectKinds);
        Log(logger, report);

        if (options.WriteToCheckpoint)
        {
            var metadata = RewardCheckpoint.ReadMetadata(options.CheckpointDirectory) with { Evaluation = report.Metrics };
            File.WriteAllText(
                Path.Combine(options.CheckpointDirectory, RewardCheckpoint.MetadataFileName),
                System.Text.Json.JsonSerializer.Serialize(metadata, RewardCheckpoint.JsonOptions) + "\n");
        }

        return report;
    }

    /// <summary>
    /// Evaluates a loaded scorer on preference pairs built from <paramref name="testEntries"/>, with one
    /// relevance pair per chosen caption and the given defect kinds (null: <see cref="CaptionDefects.AllKinds"/>).
    /// </summary>
    public static EvaluationReport Evaluate(RewardScorer scorer, IReadOnlyList<ManifestEntry> testEntries, int seed, IReadOnlyList<DefectKind>? defectKinds = null)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        defectKinds ??= CaptionDefects.AllKinds;
        var pairs = PreferencePairBuilder.Build(testEntries, seed, new PreferencePairOptions { DefectKinds = defectKinds, RelevancePairsPerCaption = 1 });
        var tallies = new Dictionary<string, Tally>(StringComparer.Ordinal);
        var dimensionTallies = new Dictionary<string, Tally>(StringComparer.Ordinal);
        var overall = new Tally();
        var scores = new List<ScoredPreferencePair>(pairs.Count);
        int skipped = 0;

        for (int start = 0; start < pairs.Count; start += BatchSize / 2)
        {
            var chunk = pairs.Skip(start).Take(BatchSize / 2).ToList();
            var requests = chunk.Select(p => new ScoringRequest(p.ImagePath, p.Chosen))
                .Concat(chunk.Select(p => new ScoringRequest(p.ImagePath, p.Rejected)))
                .ToList();
            var results = scorer.ScoreBatch(requests);

            for (int k = 0; k < chunk.Count; k++)
            {
                var chosen = results[k];
                var rejected = results[chunk.Count + k];
                if (!chosen.Succeeded || !rejected.Succeeded)
                {
                    skipped++;
                    continue;
                }

                bool learned = chosen.Score!.Value > rejected.Score!.Value;
                bool clip = chosen.ClipScore!.Value > rejected.ClipScore!.Value;
                overall.Add(learned, clip);
                if (!tallies.TryGetValue(chunk[k].Kind, out var tally))
                {
                    tallies[chunk[k].Kind] = tally = new Tally();
                }

                tally.Add(learned, clip);
                scores.Add(new ScoredPreferencePair(chunk[k].Kind, chosen.Score.Value, rejected.Score.Value, chosen.ClipScore.Value, rejected.ClipScore.Value));
                if (DimensionOf(chunk[k].Kind) is { } dimension)
                {
                    if (!dimensionTallies.TryGetValue(dimension, out var dimensionTally))
                    {
                        dimensionTallies[dimension] = dimensionTally = new Tally();
                    }

                    dimensionTally.Add(learned, clip);
                }
            }
        }

        var metrics = new EvaluationMetrics
        {
            Split = "test",
            ImageCount = testEntries.Count,
            DefectKinds = defectKinds.Select(CaptionDefects.Name).ToList(),
            Overall = overall.ToAccuracy(),
            ByKind = tallies.OrderBy(pair => pair.Key, StringComparer.Ordinal).ToDictionary(pair => pair.Key, pair => pair.Value.ToAccuracy()),
            ByDimension = Enum.GetValues<QualityDimension>()
                .Select(CaptionDefects.Name)
                .Where(dimensionTallies.ContainsKey)
                .ToDictionary(name => name, name => dimensionTallies[name].ToAccuracy()),
        };
        return new EvaluationReport(scorer.ModelVersion, metrics, skipped) { Scores = scores };
    }

    /// <summary>
    /// Returns the quality dimension name of a pair kind: the dimension of a defect kind, relevance for a caption
    /// of another-label image, and null for other kinds (for example imported pairs).
    /// </summary>
    public static string? DimensionOf(string kind)
    {
        if (kind == PreferencePairBuilder.RelevanceKind)
        {
            return CaptionDefects.Name(QualityDimension.Relevance);
        }

        foreach (var defect in CaptionDefects.AllKinds)
        {
            if (CaptionDefects.Name(defect) == kind)
            {
                return CaptionDefects.Name(CaptionDefects.Dimension(defect));
            }
        }

        return null;
    }

    /// <summary>Logs the overall and per-kind accuracies of a report.</summary>
    public static void Log(ILogger logger, EvaluationReport report)
    {
        var overall = report.Metrics.Overall;
        logger.LogInformation(
            "Model {ModelVersion} on {ImageCount} test images: {Pairs} pairs, learned accuracy {Learned:P1}, CLIP-score accuracy {ClipScore:P1}, {Skipped} pairs skipped",
            report.ModelVersion, report.Metrics.ImageCount, overall.Pairs, overall.Learned, overall.ClipScore, report.SkippedPairs);
        foreach (var (dimension, accuracy) in report.Metrics.ByDimension ?? new Dictionary<string, PairAccuracy>())
        {
            logger.LogInformation("  dimension {Dimension}: {Pairs} pairs, learned {Learned:P1}, CLIP-score {ClipScore:P1}", dimension, accuracy.Pairs, accuracy.Learned, accuracy.ClipScore);
        }

        foreach (var (kind, accuracy) in report.Metrics.ByKind)
        {
            logger.LogInformation("  {Kind}: {Pairs} pairs, learned {Learned:P1}, CLIP-score {ClipScore:P1}", kind, accuracy.Pairs, accuracy.Learned, accuracy.ClipScore);
        }
    }

    private sealed class Tally
    {
        private int _pairs;
        private int _learned;
        private int _clip;

        public void Add(bool learnedCorrect, bool clipCorrect)
        {
            _pairs++;
            _learned += learnedCorrect ? 1 : 0;
            _clip += clipCorrect ? 1 : 0;
        }

        public PairAccuracy ToAccuracy() =>
            _pairs == 0 ? new PairAccuracy(0, 0, 0) : new PairAccuracy(_pairs, (double)_learned / _pairs, (double)_clip / _pairs);
    }
}
