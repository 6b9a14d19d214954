using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Scoring;
using RsStreamCurate.Synthesis;
using TorchSharp;
using static TorchSharp.torch;

namespace RsStreamCurate.Training.Experiments;

/// <summary>
/// Reproduces the data-curation experiment of ScoreRS (Muhtar et al., NeurIPS 2025) in miniature. A reward-model
/// checkpoint ranks a pool of candidate captions of mixed quality once. A fresh small dual encoder is then trained
/// contrastively on each selection (all, random, top by CLIP-score, top by the learned scorer) with the same
/// steps, batch size and seeds. Every encoder is evaluated by zero-shot scene classification and image-text
/// retrieval on held-out images, and best-of-N picks by each score are counted.
/// </summary>
public static class CurationExperiment
{
    // Offset of the random selection's seed from the training seed, so the two draws are not the same sequence.
    private const int RandomSelectionSeedBase = 7919;

    public static CurationExperimentReport Run(CurationExperimentOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        var total = Stopwatch.StartNew();

        var trainEntries = ReadEntries(options.TrainManifestPath, options.MaxImages);
        var evalEntries = ReadEntries(options.EvalManifestPath, options.MaxImages);
        string trainRoot = options.ImageRoot ?? ManifestFolder(options.TrainManifestPath);
        string evalRoot = options.ImageRoot ?? ManifestFolder(options.EvalManifestPath);
        CheckDisjoint(trainEntries, evalEntries);
        logger.LogInformation("Curation experiment: {TrainImages} pool images from {TrainManifest}, {EvalImages} held-out images from {EvalManifest}, on {Runtime}",
            trainEntries.Count, options.TrainManifestPath, evalEntries.Count, options.EvalManifestPath, TorchRuntime.Describe());

        var settings = new CaptionSynthesisSettings { DefectsPerImage = options.DefectsPerImage };
        var (pool, heldOutPool, scorerVersion) = ScorePools(options, trainEntries, evalEntries, trainRoot, evalRoot, settings);
        logger.LogInformation("Scored {Candidates} pool candidates and {HeldOutCandidates} held-out candidates with {ModelVersion}",
            pool.Candidates.Count, heldOutPool.Candidates.Count, scorerVersion);

        var tokenizer = CaptionTokenizer.Build(pool.Candidates.Select(c => c.Text), options.MinTokenCount, options.Model.MaxTokens);
        var modelOptions = options.Model with { VocabularySize = tokenizer.VocabularySize, MaxTokens = tokenizer.MaxLength };
        var classes = trainEntries.Concat(evalEntries).Select(e => e.Label).OfType<string>().Where(l => l.Length > 0)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        using var poolTensors = new PoolTensors(
            LoadImages(trainEntries, trainRoot, options.Model.InputSize),
            HeldOutEvaluation.Tokenize(tokenizer, pool.Candidates.Select(c => c.Text).ToList()),
            pool.Candidates.Select(c => c.ImageIndex).ToArray(),
            pool.Candidates.Select(c => c.Text).ToArray());
        using var heldOut = HeldOutEvaluation.Build(
            evalEntries, LoadImages(evalEntries, evalRoot, options.Model.InputSize), classes, options.PromptTemplates, tokenizer);

        var seeds = Enumerable.Range(options.FirstSeed, options.Seeds).ToList();
        var runs = options.Selections.ToDictionary(s => s.Name, _ => new List<(HeldOutMetrics Metrics, double Loss)>(), StringComparer.Ordinal);
        var firstSelection = new Dictionary<string, int[]>(StringComparer.Ordinal);
        long parameters = 0;

        foreach (int seed in seeds)
        {
            foreach (var spec in options.Selections)
            {
                var watch = Stopwatch.StartNew();

                // The random selection is drawn again for every seed, and the ranked ones are the same every time.
                // HashCode.Combine would differ between processes, so the draw's seed is plain arithmetic.
                var selected = PoolSelector.Select(pool, spec, new Random(RandomSelectionSeedBase + seed));
                firstSelection.TryAdd(spec.Name, selected);
                var (model, loss) = DualEncoderTraining.Train(poolTensors, selected, options, modelOptions, seed);
                using (model)
                {
                    parameters = model.CountParameters();
                    var metrics = heldOut.Evaluate(model);
                    runs[spec.Name].Add((metrics, loss));
                    logger.LogInformation(
                        "Seed {Seed}, selection {Selection} ({Pairs} pairs): loss {Loss:F3}, zero-shot {Accuracy:P1}, I->T R@1 {ImageToTextR1:P1} R@5 {ImageToTextR5:P1}, T->I R@1 {TextToImageR1:P1} R@5 {TextToImageR5:P1}, {Seconds:F1} s",
                        seed, spec.Name, selected.Length, loss, metrics.ClassificationAccuracy, metrics.ImageToTextR1, metrics.ImageToTextR5,
                        metrics.TextToImageR1, metrics.TextToImageR5, watch.Elapsed.TotalSeconds);
                }
            }
        }

        var selections = options.Selections.Select(spec => Summarise(spec, pool, firstSelection[spec.Name], runs[spec.Name])).ToList();
        var bestOfN = new[] { BestOfN.Evaluate(heldOutPool, "held-out"), BestOfN.Evaluate(pool, "training pool") };
        logger.LogInformation("Curation experiment finished in {Seconds:F0} s", total.Elapsed.TotalSeconds);

        return new CurationExperimentReport
        {
            ScorerModelVersion = scorerVersion,
            Ranking = "global",
            PoolImages = trainEntries.Count,
            PoolCandidates = pool.Candidates.Count,
            PoolByGenerator = pool.Candidates.GroupBy(c => c.Generator).OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            HeldOutImages = evalEntries.Count,
            HeldOutCaptions = heldOut.Captions.Count,
            Classes = classes.Count,
            Seeds = seeds,
            Steps = options.Steps,
            BatchSize = options.BatchSize,
            EncoderParameters = parameters,
            VocabularySize = tokenizer.VocabularySize,
            TorchThreads = torch.get_num_threads(),
            Seconds = total.Elapsed.TotalSeconds,
            Selections = selections,
            BestOfN = bestOfN,
        };
    }

    private static SelectionResult Summarise(
        SelectionSpec spec, CandidatePool pool, int[] selected, List<(HeldOutMetrics Metrics, double Loss)> runs)
    {
        var chosen = selected.Select(i => pool.Candidates[i]).ToList();
        return new SelectionResult
        {
            Name = spec.Name,
            Ranking = spec.Ranking,
            Fraction = spec.Fraction,
            Pairs = selected.Length,
            Images = chosen.Select(c => c.ImageIndex).Distinct().Count(),
            HumanFraction = chosen.Average(c => c.IsHuman ? 1.0 : 0.0),
            DefectFraction = chosen.Average(c => c.IsDefective ? 1.0 : 0.0),
            ClassificationAccuracy = MetricSummary.Of(runs.Select(r => r.Metrics.ClassificationAccuracy).ToList()),
            ImageToTextR1 = MetricSummary.Of(runs.Select(r => r.Metrics.ImageToTextR1).ToList()),
            ImageToTextR5 = MetricSummary.Of(runs.Select(r => r.Metrics.ImageToTextR5).ToList()),
            TextToImageR1 = MetricSummary.Of(runs.Select(r => r.Metrics.TextToImageR1).ToList()),
            TextToImageR5 = MetricSummary.Of(runs.Select(r => r.Metrics.TextToImageR5).ToList()),
            FinalLoss = MetricSummary.Of(runs.Select(r => r.Loss).ToList()),
        };
    }

    private static (CandidatePool Pool, CandidatePool HeldOut, string ModelVersion) ScorePools(
        CurationExperimentOptions options, List<ManifestEntry> trainEntries, List<ManifestEntry> evalEntries,
        string trainRoot, string evalRoot, CaptionSynthesisSettings settings)
    {
        var pool = CandidatePool.Synthesize(trainEntries, settings, options.PoolSeed);
        var heldOut = CandidatePool.Synthesize(evalEntries, settings, options.PoolSeed + 1);

        // One scorer per image root, because a scorer resolves every image path against a single root.
        using var trainScorer = RewardScorer.Open(options.CheckpointDirectory, new ImageLoaderOptions { ImageRoot = trainRoot }, new ImageEmbeddingCache(trainEntries.Count + 1));
        using var evalScorer = RewardScorer.Open(options.CheckpointDirectory, new ImageLoaderOptions { ImageRoot = evalRoot }, new ImageEmbeddingCache(evalEntries.Count + 1));
        return (pool.Score(trainScorer), heldOut.Score(evalScorer), trainScorer.ModelVersion);
    }

    private static List<ManifestEntry> ReadEntries(string manifestPath, int? maxImages)
    {
        var entries = ManifestReader.Read(manifestPath).ToList();
        if (maxImages is { } max)
        {
            entries = entries.Take(max).ToList();
        }

        if (entries.Count < 2)
        {
            throw new InvalidDataException($"Manifest {manifestPath} has {entries.Count} images; the experiment needs at least 2.");
        }

        return entries;
    }

    private static string ManifestFolder(string manifestPath) => Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;

    // Held-out numbers mean nothing when a held-out image is also in the pool.
    private static void CheckDisjoint(List<ManifestEntry> trainEntries, List<ManifestEntry> evalEntries)
    {
        var trainIds = trainEntries.Select(e => e.ImageId).ToHashSet(StringComparer.Ordinal);
        if (evalEntries.FirstOrDefault(e => trainIds.Contains(e.ImageId)) is { } shared)
        {
            throw new InvalidDataException(
                $"Image {shared.ImageId} is in both the training and the evaluation manifest; give manifests with disjoint images (for example the train+val and the test side of the RSICD official split).");
        }
    }

    // Loads every image into one (N, 3, S, S) tensor; an image that cannot be loaded stops the experiment.
    private static Tensor LoadImages(List<ManifestEntry> entries, string imageRoot, int inputSize)
    {
        var loader = new ImageLoader(new ImageLoaderOptions { ImageRoot = imageRoot, InputSize = inputSize });
        var flat = new float[entries.Count * loader.PixelCount];
        for (int i = 0; i < entries.Count; i++)
        {
            try
            {
                loader.Load(entries[i].ImagePath).CopyTo(flat, i * loader.PixelCount);
            }
            catch (ImageLoadException ex)
            {
                throw new InvalidDataException($"Image {entries[i].ImagePath} could not be loaded ({ex.Reason}): {ex.Message}", ex);
            }
        }

        return torch.tensor(flat, [entries.Count, 3, inputSize, inputSize]);
    }
}
