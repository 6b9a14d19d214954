using System.CommandLine;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Scoring;
using RsStreamCurate.Training;
using Spectre.Console;

namespace RsStreamCurate.Cli;

/// <summary>Commands that train, evaluate and apply the reward model outside the stream.</summary>
public static class ModelCommands
{
    public static Command BuildTrain()
    {
        var manifest = new Option<FileInfo>("--manifest") { Description = "RSICD-style JSONL manifest; its train and val images are used for training.", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Checkpoint directory to write.", Required = true };
        var imageRoot = new Option<DirectoryInfo?>("--image-root")
        {
            Description = "Folder that image paths of the manifest and of --preferences files are relative to (default: the folder of each file).",
        };
        var seed = new Option<int?>("--seed") { Description = "Seed of initialisation, shuffling, augmentation and preference pairs (default 7)." };
        var version = new Option<string?>("--model-version") { Description = "Version tag written into the checkpoint (default reward-v2)." };
        var preferences = new Option<FileInfo[]>("--preferences")
        {
            Description = "Chosen/rejected JSONL file (image, chosen, rejected) whose pairs join the preference stage; repeat for several files.",
            AllowMultipleArgumentsPerToken = false,
        };
        var preferenceWeight = new Option<double?>("--preference-weight") { Description = "Loss weight of each imported pair; a synthetic pair has weight 1 (default 1)." };
        var defectDraws = new Option<int?>("--defect-draws") { Description = "Independent draws of the defects for every chosen caption in each epoch (default 2)." };
        var contrastiveEpochs = new Option<int?>("--contrastive-epochs") { Description = "Epochs of contrastive pre-training (default 20)." };
        var fixedDefects = new Option<bool>("--fixed-defects") { Description = "Repeat the first epoch's defects in every preference epoch instead of drawing new ones." };
        var finalConvolution = new Option<bool>("--image-final-convolution") { Description = "Add a fifth convolution block to the image tower, as reward-v1 had (about 60 % more image FLOPs)." };
        var preferenceEpochs = new Option<int?>("--preference-epochs") { Description = "Epochs of Bradley-Terry training on preference pairs, each with newly drawn defects unless --fixed-defects is set (default 10)." };
        var maxImages = new Option<int?>("--max-train-images") { Description = "Use at most this many training images, for quick runs." };
        var defectKinds = new Option<string?>("--defect-kinds") { Description = "Comma-separated defect kinds of the rejected captions (default: all), for example generic,truncated." };

        var command = new Command("train", "Train the reward model: contrastive pre-training, then Bradley-Terry on preference pairs. Seeded and reproducible.")
        {
            manifest, output, imageRoot, seed, version, contrastiveEpochs, preferenceEpochs, maxImages, defectKinds, preferences, preferenceWeight, defectDraws,
            fixedDefects, finalConvolution,
        };
        command.SetAction(parse => CommandLine.RunGuardedAsync(() =>
        {
            var defaults = new TrainingOptions { ManifestPath = string.Empty, OutputDirectory = string.Empty };
            var options = defaults with
            {
                ManifestPath = parse.GetValue(manifest)!.FullName,
                OutputDirectory = parse.GetValue(output)!.FullName,
                ImageRoot = parse.GetValue(imageRoot)?.FullName,
                Seed = parse.GetValue(seed) ?? defaults.Seed,
                ModelVersion = parse.GetValue(version) ?? defaults.ModelVersion,
                ContrastiveEpochs = parse.GetValue(contrastiveEpochs) ?? defaults.ContrastiveEpochs,
                PreferenceEpochs = parse.GetValue(preferenceEpochs) ?? defaults.PreferenceEpochs,
                MaxTrainImages = parse.GetValue(maxImages),
                DefectKinds = ParseDefectKinds(parse.GetValue(defectKinds)),
                PreferenceFiles = (parse.GetValue(preferences) ?? []).Select(file => file.FullName).ToList(),
                PreferenceImageRoot = parse.GetValue(imageRoot)?.FullName,
                ImportedPairWeight = parse.GetValue(preferenceWeight) ?? defaults.ImportedPairWeight,
                DefectDrawsPerCaption = parse.GetValue(defectDraws) ?? defaults.DefectDrawsPerCaption,
                ResampleDefectsEachEpoch = !parse.GetValue(fixedDefects),
                Model = defaults.Model with { ImageFinalConvolution = parse.GetValue(finalConvolution) },
            };

            using var loggerFactory = CreateLoggerFactory();
            var report = RewardTrainer.Train(options, loggerFactory.CreateLogger("rscurate.train"));
            var table = new Table().Title($"Trained {Markup.Escape(report.ModelVersion)}").AddColumn("item").AddColumn("value");
            table.AddRow("checkpoint", Markup.Escape(report.CheckpointDirectory));
            table.AddRow("parameters", report.ParameterCount.ToString("N0"));
            table.AddRow("checkpoint size", $"{report.CheckpointBytes / 1024.0 / 1024.0:F2} MiB");
            table.AddRow("training images", report.TrainImages.ToString("N0"));
            table.AddRow("preference pairs", report.PreferencePairs.ToString("N0"));
            table.AddRow("imported pairs", $"{report.ImportedPairs:N0} ({report.SkippedImportedPairs:N0} skipped: image not loadable)");
            table.AddRow("time", $"{report.TotalSeconds:F0} s");
            AnsiConsole.Write(table);
            return Task.FromResult(0);
        }));
        return command;
    }

    public static Command BuildEval()
    {
        var manifest = new Option<FileInfo>("--manifest") { Description = "RSICD-style JSONL manifest; the held-out side of its split by image is evaluated.", Required = true };
        var checkpoint = new Option<DirectoryInfo?>("--checkpoint") { Description = "Checkpoint directory (default: the shipped reward-v2)." };
        var imageRoot = new Option<DirectoryInfo?>("--image-root") { Description = "Folder that image paths are relative to (default: the manifest's folder)." };
        var seed = new Option<int?>("--seed") { Description = "Seed of the defects applied to held-out captions." };
        var plot = new Option<FileInfo?>("--plot") { Description = "Also write the chosen and rejected score distributions, learned and CLIP-score, to this PNG file." };
        var summaryJson = new Option<FileInfo?>("--summary-json") { Description = "Also write the accuracies (overall, per dimension, per kind) to this JSON file." };

        var command = new Command("eval", "Print held-out preference-pair accuracy of the reward model next to the CLIP-score baseline of the same encoder, overall, per quality dimension and per defect kind.")
        {
            manifest, checkpoint, imageRoot, seed, plot, summaryJson,
        };
        command.SetAction(parse => CommandLine.RunGuardedAsync(() =>
        {
            var options = new EvaluationOptions
            {
                CheckpointDirectory = parse.GetValue(checkpoint)?.FullName ?? BundledAssets.DefaultCheckpoint,
                ManifestPath = parse.GetValue(manifest)!.FullName,
                ImageRoot = parse.GetValue(imageRoot)?.FullName,
                Seed = parse.GetValue(seed) ?? RewardEvaluator.DefaultSeed,
            };

            using var loggerFactory = CreateLoggerFactory();
            var report = RewardEvaluator.Evaluate(options, loggerFactory.CreateLogger("rscurate.eval"));
            var metrics = report.Metrics;
            string title = $"{Markup.Escape(report.ModelVersion)}, {metrics.ImageCount} {Markup.Escape(metrics.Split)} images";
            AnsiConsole.Write(AccuracyTable($"Held-out pair accuracy by quality dimension ({title})", "dimension", metrics.ByDimension ?? new Dictionary<string, PairAccuracy>(), metrics.Overall));
            AnsiConsole.Write(AccuracyTable($"Held-out pair accuracy by rejected-caption kind ({title})", "rejected caption", metrics.ByKind, metrics.Overall));
            if (report.SkippedPairs > 0)
            {
                AnsiConsole.MarkupLine($"[yellow]{report.SkippedPairs} pairs were skipped because their image could not be loaded.[/]");
            }

            if (parse.GetValue(plot) is { } plotFile)
            {
                EvaluationPlot.Save(report, plotFile.FullName);
                AnsiConsole.MarkupLine($"Wrote the score distributions to {Markup.Escape(plotFile.FullName)}.");
            }

            if (parse.GetValue(summaryJson) is { } summaryFile)
            {
                var summary = new EvaluationSummary(report.ModelVersion, options.Seed, report.SkippedPairs, metrics);
                File.WriteAllText(summaryFile.FullName, System.Text.Json.JsonSerializer.Serialize(summary, RewardCheckpoint.JsonOptions) + "\n");
                AnsiConsole.MarkupLine($"Wrote the summary to {Markup.Escape(summaryFile.FullName)}.");
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    private static Table AccuracyTable(string title, string firstColumn, IReadOnlyDictionary<string, PairAccuracy> rows, PairAccuracy overall)
    {
        var table = new Table()
            .Title(title)
            .AddColumn(firstColumn).AddColumn(new TableColumn("pairs").RightAligned())
            .AddColumn(new TableColumn("learned scorer").RightAligned()).AddColumn(new TableColumn("CLIP-score").RightAligned());
        foreach (var (name, accuracy) in rows)
        {
            table.AddRow(Markup.Escape(name), accuracy.Pairs.ToString("N0"), accuracy.Learned.ToString("P1"), accuracy.ClipScore.ToString("P1"));
        }

        table.AddRow("[bold]overall[/]", overall.Pairs.ToString("N0"), $"[bold]{overall.Learned:P1}[/]", $"[bold]{overall.ClipScore:P1}[/]");
        return table;
    }

    /// <summary>Contents of the <c>eval --summary-json</c> file.</summary>
    private sealed record EvaluationSummary(string ModelVersion, int Seed, int SkippedPairs, EvaluationMetrics Metrics);

    public static Command BuildScore()
    {
        var input = new Option<FileInfo>("--input") { Description = "JSONL file with one {\"image\": path, \"text\": caption} object per line.", Required = true };
        var output = new Option<FileInfo>("--output") { Description = "JSONL file to write: one row per input row, in order, with score and model_version, or error.", Required = true };
        var checkpoint = new Option<DirectoryInfo?>("--checkpoint") { Description = "Checkpoint directory (default: the shipped reward-v2)." };
        var imageRoot = new Option<DirectoryInfo?>("--image-root") { Description = "Folder that image paths are relative to (default: the input file's folder)." };

        var command = new Command("score", "Score image-caption pairs offline with the reward model. Exits with 1 when the input has no row or no row could be scored.")
        {
            input, output, checkpoint, imageRoot,
        };
        command.SetAction(parse => CommandLine.RunGuardedAsync(() =>
        {
            var inputFile = parse.GetValue(input)!;
            var options = new OfflineScoringOptions
            {
                InputPath = inputFile.FullName,
                OutputPath = parse.GetValue(output)!.FullName,
                CheckpointDirectory = parse.GetValue(checkpoint)?.FullName ?? BundledAssets.DefaultCheckpoint,
                ImageRoot = parse.GetValue(imageRoot)?.FullName ?? inputFile.DirectoryName!,
            };

            using var loggerFactory = CreateLoggerFactory();
            var summary = OfflineScoring.Run(options, loggerFactory.CreateLogger("rscurate.score"));
            AnsiConsole.MarkupLine($"Scored {summary.Scored:N0} of {summary.Rows:N0} rows with {Markup.Escape(summary.ModelVersion)} in {summary.Seconds:F1} s; rows with an error field: {summary.Failed:N0}.");
            if (summary.Scored == 0)
            {
                string cause = summary.Rows == 0 ? $"{inputFile.FullName} has no rows" : "every row failed; the error field of each output row says why";
                AnsiConsole.MarkupLine($"[red]Error:[/] nothing was scored: {Markup.Escape(cause)}.");
                return Task.FromResult(1);
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    private static IReadOnlyList<RsStreamCurate.Synthesis.DefectKind>? ParseDefectKinds(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var known = RsStreamCurate.Synthesis.CaptionDefects.AllKinds.ToDictionary(RsStreamCurate.Synthesis.CaptionDefects.Name, StringComparer.Ordinal);
        return value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(name => known.TryGetValue(name, out var kind)
                ? kind
                : throw new ArgumentException($"--defect-kinds: '{name}' is not a defect kind; use {string.Join(", ", known.Keys)}."))
            .ToList();
    }

    private static ILoggerFactory CreateLoggerFactory() => LoggerFactory.Create(builder => builder
        .AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss ";
        })
        .SetMinimumLevel(LogLevel.Information));
}
