using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Training.Experiments;
using Spectre.Console;
using TorchSharp;

namespace RsStreamCurate.Cli;

/// <summary>The <c>experiment</c> command: the curation experiment of ScoreRS in miniature.</summary>
public static class ExperimentCommand
{
    public static Command Build()
    {
        var defaults = new CurationExperimentOptions { TrainManifestPath = "", EvalManifestPath = "", CheckpointDirectory = "" };
        var trainManifest = new Option<FileInfo>("--train-manifest") { Description = "RSICD-style JSONL manifest of the pool images (for RSICD: the train and val images of the official split).", Required = true };
        var evalManifest = new Option<FileInfo>("--eval-manifest") { Description = "RSICD-style JSONL manifest of held-out images, disjoint from the pool (for RSICD: the test images).", Required = true };
        var imageRoot = new Option<DirectoryInfo?>("--image-root") { Description = "Folder that image paths of both manifests are relative to (default: each manifest's folder)." };
        var checkpoint = new Option<DirectoryInfo?>("--checkpoint") { Description = "Reward-model checkpoint that scores the pool (default: the shipped reward-v2)." };
        var seeds = new Option<int>("--seeds") { Description = "Training runs per selection, with seeds 1..N.", DefaultValueFactory = _ => defaults.Seeds };
        var steps = new Option<int>("--steps") { Description = "Optimisation steps of every training run, the same for every selection.", DefaultValueFactory = _ => defaults.Steps };
        var batchSize = new Option<int>("--batch-size") { Description = "Image-caption pairs per step, the same for every selection.", DefaultValueFactory = _ => defaults.BatchSize };
        var threads = new Option<int>("--threads") { Description = "Threads of libtorch's CPU operations. The encoders are tiny, so one thread loses little, and it does not spin-wait for a second thread that shares a busy machine.", DefaultValueFactory = _ => 1 };
        var maxImages = new Option<int?>("--max-images") { Description = "Use at most this many images of each manifest, for quick runs." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for summary.json and plot.png unless --summary-json or --plot name other files.", DefaultValueFactory = _ => new DirectoryInfo("experiment-results") };
        var summaryJson = new Option<FileInfo?>("--summary-json") { Description = "JSON file for the summary (default: summary.json in --out)." };
        var plot = new Option<FileInfo?>("--plot") { Description = "PNG file for the bar chart (default: plot.png in --out)." };

        var command = new Command("experiment", "Train small dual encoders on selections of a scored caption pool (all, random 30%, top 30% by CLIP-score, top 30/20/10% by the learned scorer) with one compute budget, and compare zero-shot classification, retrieval and best-of-N picks on held-out images.")
        {
            trainManifest, evalManifest, imageRoot, checkpoint, seeds, steps, batchSize, threads, maxImages, output, summaryJson, plot,
        };
        command.SetAction(parse => CommandLine.RunGuardedAsync(() =>
        {
            var options = defaults with
            {
                TrainManifestPath = parse.GetValue(trainManifest)!.FullName,
                EvalManifestPath = parse.GetValue(evalManifest)!.FullName,
                ImageRoot = parse.GetValue(imageRoot)?.FullName,
                CheckpointDirectory = parse.GetValue(checkpoint)?.FullName ?? BundledAssets.DefaultCheckpoint,
                Seeds = parse.GetValue(seeds),
                Steps = parse.GetValue(steps),
                BatchSize = parse.GetValue(batchSize),
                MaxImages = parse.GetValue(maxImages),
            };
            int threadCount = parse.GetValue(threads);
            if (threadCount < 1)
            {
                throw new ArgumentException($"--threads must be at least 1; got {threadCount}.");
            }

            torch.set_num_threads(threadCount);
            var folder = parse.GetValue(output)!;
            string jsonPath = parse.GetValue(summaryJson)?.FullName ?? Path.Combine(folder.FullName, "summary.json");
            string plotPath = parse.GetValue(plot)?.FullName ?? Path.Combine(folder.FullName, "plot.png");

            using var loggerFactory = LoggerFactory.Create(builder => builder
                .AddSimpleConsole(console =>
                {
                    console.SingleLine = true;
                    console.TimestampFormat = "HH:mm:ss ";
                })
                .SetMinimumLevel(LogLevel.Information));
            var report = CurationExperiment.Run(options, loggerFactory.CreateLogger("rscurate.experiment"));

            Render(report);
            report.WriteJson(jsonPath);
            ExperimentPlot.Save(report, plotPath);
            AnsiConsole.MarkupLine($"Summary written to [blue]{Markup.Escape(jsonPath)}[/], plot to [blue]{Markup.Escape(plotPath)}[/]");
            return Task.FromResult(0);
        }));
        return command;
    }

    private static void Render(CurationExperimentReport report)
    {
        var table = new Table()
            .Title($"Held-out metrics, mean ± std over seeds {string.Join(", ", report.Seeds)} ({report.Steps} steps of {report.BatchSize} pairs per run, pool ranked by {Markup.Escape(report.ScorerModelVersion)}, {report.Ranking})")
            .AddColumn("selection")
            .AddColumn(new TableColumn("pairs").RightAligned())
            .AddColumn(new TableColumn("human").RightAligned())
            .AddColumn(new TableColumn("defective").RightAligned())
            .AddColumn(new TableColumn("zero-shot top-1").RightAligned())
            .AddColumn(new TableColumn("I→T R@1").RightAligned())
            .AddColumn(new TableColumn("I→T R@5").RightAligned())
            .AddColumn(new TableColumn("T→I R@1").RightAligned())
            .AddColumn(new TableColumn("T→I R@5").RightAligned());
        foreach (var selection in report.Selections)
        {
            table.AddRow(
                Markup.Escape(selection.Name),
                selection.Pairs.ToString("N0", CultureInfo.InvariantCulture),
                selection.HumanFraction.ToString("P0", CultureInfo.InvariantCulture),
                selection.DefectFraction.ToString("P0", CultureInfo.InvariantCulture),
                Format(selection.ClassificationAccuracy),
                Format(selection.ImageToTextR1),
                Format(selection.ImageToTextR5),
                Format(selection.TextToImageR1),
                Format(selection.TextToImageR5));
        }

        AnsiConsole.Write(table);

        var picks = new Table().Title("Best-of-N: share of picks that are human captions / free of synthetic defects")
            .AddColumn("images").AddColumn(new TableColumn("N (mean)").RightAligned());
        var rules = report.BestOfN[0].Picks.Select(p => p.Rule).ToList();
        foreach (var rule in rules)
        {
            picks.AddColumn(new TableColumn(Markup.Escape(rule)).RightAligned());
        }

        foreach (var result in report.BestOfN)
        {
            var cells = new List<string> { Markup.Escape($"{result.ImageSet} ({result.Images})"), result.MeanCandidates.ToString("F1", CultureInfo.InvariantCulture) };
            cells.AddRange(result.Picks.Select(p => $"{p.HumanFraction.ToString("P1", CultureInfo.InvariantCulture)} / {p.NonDefectiveFraction.ToString("P1", CultureInfo.InvariantCulture)}"));
            picks.AddRow(cells.ToArray());
        }

        AnsiConsole.Write(picks);
        AnsiConsole.MarkupLine($"{report.PoolCandidates:N0} candidates of {report.PoolImages:N0} pool images; {report.HeldOutImages:N0} held-out images, {report.HeldOutCaptions:N0} distinct held-out captions, {report.Classes} classes; {report.EncoderParameters:N0} parameters per encoder; {report.Seconds:F0} s on {report.TorchThreads} threads.");
    }

    // Percentages with one decimal, for example "41.2 ± 3.1".
    private static string Format(MetricSummary metric) =>
        $"{(100 * metric.Mean).ToString("F1", CultureInfo.InvariantCulture)} ± {(100 * metric.StandardDeviation).ToString("F1", CultureInfo.InvariantCulture)}";
}
