using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace RsStreamCurate.Cli;

/// <summary>The <c>loop</c> command: the whole system in one process, with labellers closing the loop.</summary>
public static class LoopCommand
{
    public const string DefaultUrl = "http://127.0.0.1:8090";

    public static Command Build()
    {
        var manifest = new Option<FileInfo?>("--manifest") { Description = "RSICD-style JSONL manifest to stream and to train on (default: the shipped sample)." };
        var dataDirectory = new Option<DirectoryInfo>("--data-dir") { Description = "Folder for labels, the model registry and the curated dataset.", DefaultValueFactory = _ => new DirectoryInfo("rscurate-data") };
        var url = new Option<string>("--url") { Description = $"Listen address of the labelling page and API (default {DefaultUrl}).", DefaultValueFactory = _ => DefaultUrl };
        var rate = new Option<double>("--rate") { Description = "Maximum candidates per second produced by synthesis.", DefaultValueFactory = _ => 50 };
        var labelThreshold = new Option<int?>("--retrain-after") { Description = "New labels that trigger a retrain (default 500)." };
        var metricsPort = new Option<int>("--metrics-port") { Description = "Port of the Prometheus endpoint on 127.0.0.1; 0 disables it.", DefaultValueFactory = _ => 9464 };
        var config = new Option<FileInfo?>("--config") { Description = "JSON settings file; set labeller keys there or as Feedback__ApiKeys__<labeller>=<key> environment variables." };

        var command = new Command("loop", "Stream, score and curate continuously while labellers label pairs; their labels retrain the reward model, which is swapped in without a restart.")
        {
            manifest, dataDirectory, url, rate, labelThreshold, metricsPort, config,
        };
        command.SetAction((parse, cancellationToken) => CommandLine.RunGuardedAsync(async () =>
        {
            string manifestPath = parse.GetValue(manifest)?.FullName ?? BundledAssets.SampleManifest;
            string imageRoot = Path.GetDirectoryName(manifestPath)!;
            string data = parse.GetValue(dataDirectory)!.FullName;
            var settings = new Dictionary<string, string?>
            {
                ["Synthesis:Manifest"] = manifestPath,
                ["Synthesis:Loop"] = "true",
                ["Synthesis:MaxCandidatesPerSecond"] = parse.GetValue(rate).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Scoring:Checkpoint"] = BundledAssets.DefaultCheckpoint,
                ["Scoring:ImageRoot"] = imageRoot,
                ["Curation:OutputDirectory"] = Path.Combine(data, "curated"),
                ["Feedback:DataDirectory"] = Path.Combine(data, "labels"),
                ["Feedback:ImageRoot"] = imageRoot,
                ["Retrain:InitialModelVersion"] = Scoring.RewardCheckpoint.ReadMetadata(BundledAssets.DefaultCheckpoint).ModelVersion,
                ["Trainer:Manifest"] = manifestPath,
                ["Trainer:RegistryDirectory"] = Path.Combine(data, "models"),
                ["Trainer:InitialCheckpoint"] = BundledAssets.DefaultCheckpoint,
                ["Trainer:LabelDirectory"] = Path.Combine(data, "labels"),
            };
            if (parse.GetValue(labelThreshold) is { } threshold)
            {
                settings["Retrain:LabelThreshold"] = threshold.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            // Keys from the environment (Feedback__ApiKeys__alice=...) keep priority over these defaults.
            foreach (var (key, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                .Select(e => ((string)e.Key, (string?)e.Value)).Where(e => e.Item1.StartsWith("Feedback__ApiKeys__", StringComparison.Ordinal)))
            {
                settings[key.Replace("__", ":", StringComparison.Ordinal)] = value;
            }

            await using var app = LoopHost.Build(parse.GetValue(url)!, settings, parse.GetValue(config)?.FullName, LogLevel.Information);
            int port = parse.GetValue(metricsPort);
            using var metrics = port == 0 ? null : new Prometheus.MetricServer("127.0.0.1", port).Start();
            AnsiConsole.MarkupLine($"Labelling page on [blue]{Markup.Escape(parse.GetValue(url)!)}/[/]; data in [blue]{Markup.Escape(data)}[/]. Ctrl-C stops.");
            await app.StartAsync(cancellationToken).ConfigureAwait(false);

            // Stops the host (Kafka clients before the embedded broker) once Ctrl-C cancels the token.
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }));
        return command;
    }
}
