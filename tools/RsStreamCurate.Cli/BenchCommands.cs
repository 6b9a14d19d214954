using System.CommandLine;
using System.Diagnostics;
using RsStreamCurate.Scoring;
using RsStreamCurate.Synthesis;
using Spectre.Console;
using TorchSharp;

namespace RsStreamCurate.Cli;

/// <summary>The <c>bench</c> command group: throughput measurements printed as a table.</summary>
public static class BenchCommands
{
    public static Command Build()
    {
        var checkpoint = new Option<DirectoryInfo?>("--checkpoint") { Description = "Checkpoint directory (default: the shipped reward-v2)." };
        var manifest = new Option<FileInfo?>("--manifest") { Description = "Manifest whose images and human captions are scored (default: the shipped sample)." };
        var seconds = new Option<double>("--seconds") { Description = "Time spent measuring each configuration, in seconds.", DefaultValueFactory = _ => 3.0 };

        var scorer = new Command("scorer", "Measure scored pairs per second at batch 1, 16 and 64 with a cold and a warm image-embedding cache, and compare the achieved FLOP/s with a large matrix multiply.")
        {
            checkpoint, manifest, seconds,
        };
        scorer.SetAction(parse => CommandLine.RunGuardedAsync(() =>
        {
            string manifestPath = parse.GetValue(manifest)?.FullName ?? BundledAssets.SampleManifest;
            string checkpointPath = parse.GetValue(checkpoint)?.FullName ?? BundledAssets.DefaultCheckpoint;
            RunScorerBenchmark(checkpointPath, manifestPath, TimeSpan.FromSeconds(parse.GetValue(seconds)));
            return Task.FromResult(0);
        }));

        return new Command("bench", "Benchmarks of this machine.") { scorer };
    }

    private static void RunScorerBenchmark(string checkpointPath, string manifestPath, TimeSpan budget)
    {
        // One request per image, with its first non-empty human caption, so a cold pass decodes every image once.
        var entries = ManifestReader.Read(manifestPath)
            .Select(e => (e.ImagePath, Caption: CaptionSynthesizer.DistinctHumanCaptions(e.Captions).FirstOrDefault()))
            .Where(e => e.Caption is not null)
            .ToList();
        if (entries.Count < 64)
        {
            throw new ArgumentException($"Manifest {manifestPath} has {entries.Count} images with a caption; the benchmark needs at least 64.");
        }

        var requests = entries.Select(e => new ScoringRequest(e.ImagePath, e.Caption!)).ToList();
        var imageRoot = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
        using var scorer = RewardScorer.Open(checkpointPath, new ImageLoaderOptions { ImageRoot = imageRoot }, new ImageEmbeddingCache(requests.Count));
        var flops = ModelFlops.Estimate(scorer.Metadata.Model);
        scorer.ScoreBatch(requests.Take(8).ToList());

        var table = new Table().Title($"Scorer throughput of {Markup.Escape(scorer.ModelVersion)} ({Markup.Escape(TorchRuntime.Describe())})")
            .AddColumn(new TableColumn("batch").RightAligned()).AddColumn("image cache")
            .AddColumn(new TableColumn("pairs/s").RightAligned()).AddColumn(new TableColumn("GFLOP/s").RightAligned());
        double coldAt64 = 0;
        foreach (int batchSize in new[] { 1, 16, 64 })
        {
            foreach (bool warm in new[] { false, true })
            {
                double pairsPerSecond = Measure(scorer, requests, batchSize, warm, budget);
                double gflops = pairsPerSecond * (warm ? flops.WarmPair : flops.ColdPair) / 1e9;
                table.AddRow(batchSize.ToString(), warm ? "warm" : "cold", pairsPerSecond.ToString("N0"), gflops.ToString("F2"));
                if (batchSize == 64 && !warm)
                {
                    coldAt64 = pairsPerSecond;
                }
            }
        }

        AnsiConsole.Write(table);
        WriteColdBreakdown(scorer, requests, imageRoot, coldAt64, budget);
        double matmul = MeasureMatmulFlops(budget);
        double achieved = coldAt64 * flops.ColdPair;
        AnsiConsole.MarkupLine($"FLOPs per pair (estimate): {flops.ColdPair / 1e6:F1} M with a cold cache (image tower {flops.ImageTower / 1e6:F1} M, text tower {flops.TextTower / 1e6:F1} M, head {flops.Head / 1e6:F2} M), {flops.WarmPair / 1e6:F1} M warm.");
        AnsiConsole.MarkupLine($"Large matrix multiply (2048 x 2048, float32): {matmul / 1e9:F1} GFLOP/s. Scoring at batch 64 with a cold cache reaches {achieved / 1e9:F2} GFLOP/s, {achieved / matmul:P1} of it.");
    }

    // Times decoding and resizing (parallel over the images, as in ScoreBatch) and the image tower for cold batches of 64.
    // The rest of the measured time per pair is the text tower, the head and bookkeeping.
    private static void WriteColdBreakdown(RewardScorer scorer, List<ScoringRequest> requests, string imageRoot, double coldPairsPerSecond, TimeSpan budget)
    {
        const int batchSize = 64;
        var loader = new ImageLoader(new ImageLoaderOptions { ImageRoot = imageRoot, InputSize = scorer.Metadata.Model.InputSize });
        var decodeWatch = new Stopwatch();
        var towerWatch = new Stopwatch();
        long images = 0;
        var total = Stopwatch.StartNew();
        for (int offset = 0; total.Elapsed < budget || images == 0; offset = (offset + batchSize) % (requests.Count - batchSize + 1))
        {
            var batch = requests.GetRange(offset, batchSize);
            var pixels = new float[batchSize][];
            decodeWatch.Start();
            Parallel.For(0, batchSize, i => pixels[i] = loader.Load(batch[i].ImageUri));
            decodeWatch.Stop();
            towerWatch.Start();
            scorer.EncodeImages(pixels);
            towerWatch.Stop();
            images += batchSize;
        }

        double decodeMs = decodeWatch.Elapsed.TotalMilliseconds / images;
        double towerMs = towerWatch.Elapsed.TotalMilliseconds / images;
        double totalMs = 1000.0 / coldPairsPerSecond;
        var breakdown = new Table().Title("Time per pair at batch 64 with a cold cache")
            .AddColumn("stage").AddColumn(new TableColumn("ms per pair").RightAligned()).AddColumn(new TableColumn("share").RightAligned());
        breakdown.AddRow("decode and resize (parallel)", decodeMs.ToString("F3"), (decodeMs / totalMs).ToString("P0"));
        breakdown.AddRow("image tower", towerMs.ToString("F3"), (towerMs / totalMs).ToString("P0"));
        double rest = Math.Max(0, totalMs - decodeMs - towerMs);
        breakdown.AddRow("text tower, head and the rest", rest.ToString("F3"), (rest / totalMs).ToString("P0"));
        breakdown.AddRow("total (measured above)", totalMs.ToString("F3"), "100%");
        AnsiConsole.Write(breakdown);
    }

    private static double Measure(RewardScorer scorer, List<ScoringRequest> requests, int batchSize, bool warm, TimeSpan budget)
    {
        var watch = Stopwatch.StartNew();
        long pairs = 0;
        int offset = 0;
        if (warm)
        {
            // Fill the cache for every image first, so every timed batch skips image decoding and the image tower.
            for (int start = 0; start < requests.Count; start += 64)
            {
                scorer.ScoreBatch(requests.GetRange(start, Math.Min(64, requests.Count - start)));
            }

            watch.Restart();
        }

        while (watch.Elapsed < budget)
        {
            if (offset + batchSize > requests.Count)
            {
                offset = 0;
            }

            if (!warm && offset == 0)
            {
                // A new pass over the images starts cold again; the time to clear the cache is negligible.
                scorer.Cache.RemoveVersion(scorer.ModelVersion);
            }

            var results = scorer.ScoreBatch(requests.GetRange(offset, batchSize));
            if (results.FirstOrDefault(r => !r.Succeeded) is { } failed)
            {
                throw new InvalidOperationException($"The benchmark could not score an image: {failed.ErrorMessage}");
            }

            pairs += batchSize;
            offset += batchSize;
        }

        return pairs / watch.Elapsed.TotalSeconds;
    }

    private static double MeasureMatmulFlops(TimeSpan budget)
    {
        const int size = 2048;
        using var a = torch.rand(size, size);
        using var b = torch.rand(size, size);
        using (torch.mm(a, b))
        {
        }

        var watch = Stopwatch.StartNew();
        int count = 0;
        while (watch.Elapsed < budget || count < 3)
        {
            using var product = torch.mm(a, b);
            count++;
        }

        return 2.0 * size * size * size * count / watch.Elapsed.TotalSeconds;
    }
}
