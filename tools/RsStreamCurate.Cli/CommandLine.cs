using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace RsStreamCurate.Cli;

/// <summary>The <c>rscurate</c> command tree.</summary>
public static class CommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("RsStreamCurate: curate remote-sensing image-caption data as it streams, with a learned reward model.");
        root.Subcommands.Add(BuildRun());
        root.Subcommands.Add(BuildServe());
        root.Subcommands.Add(ModelCommands.BuildTrain());
        root.Subcommands.Add(ModelCommands.BuildEval());
        root.Subcommands.Add(ModelCommands.BuildScore());
        root.Subcommands.Add(RegistryCommands.Build());
        root.Subcommands.Add(BenchCommands.Build());
        root.Subcommands.Add(LoopCommand.Build());
        root.Subcommands.Add(ExperimentCommand.Build());
        return root;
    }

    private static Command BuildRun()
    {
        var manifest = new Option<FileInfo?>("--manifest") { Description = "RSICD-style JSONL manifest to stream (default: the shipped sample)." };
        var imageRoot = new Option<DirectoryInfo?>("--image-root") { Description = "Folder that image paths are relative to (default: the manifest's folder)." };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Dataset directory for curated shards and manifest.jsonl (default: ./curated)." };
        var checkpoint = new Option<DirectoryInfo?>("--checkpoint") { Description = "Reward-model checkpoint directory (default: the shipped reward-v2)." };
        var postgres = new Option<string?>("--postgres") { Description = "Npgsql connection string; when set, curated windows are also written to PostgreSQL." };
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "Kafka bootstrap servers; without it an embedded broker is started in-process." };
        var windowSize = new Option<int?>("--window-size") { Description = "Candidates per curation window (default 1000)." };
        var fraction = new Option<double?>("--fraction") { Description = "Fraction of each window to keep, in (0, 1] (default 0.30)." };
        var policy = new Option<string?>("--policy") { Description = "Window selection policy: TopFraction (default) or BestOfN (best candidate of each image)." };
        var loop = new Option<bool>("--loop") { Description = "Start over at the end of the manifest and run until Ctrl-C." };
        var rate = new Option<double?>("--rate") { Description = "Maximum candidates per second produced by synthesis (default: unlimited)." };
        var summaryJson = new Option<FileInfo?>("--summary-json") { Description = "Also write the run summary to this JSON file." };
        var metricsPort = new Option<int>("--metrics-port") { Description = "Port of the Prometheus endpoint on 127.0.0.1; 0 disables it.", DefaultValueFactory = _ => 9464 };
        var config = new Option<FileInfo?>("--config") { Description = "JSON settings file with Kafka, Synthesis, Scoring and Curation sections." };
        var verbose = new Option<bool>("--verbose") { Description = "Log at Information level instead of Warning." };

        var command = new Command("run", "Run synthesis, scoring and curation in one process over a manifest, then print a summary.")
        {
            manifest, imageRoot, output, checkpoint, postgres, bootstrap, windowSize, fraction, policy, loop, rate, summaryJson, metricsPort, config, verbose,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new RunSettings
            {
                Manifest = parse.GetValue(manifest)?.FullName,
                ImageRoot = parse.GetValue(imageRoot)?.FullName,
                OutputDirectory = parse.GetValue(output)?.FullName,
                Checkpoint = parse.GetValue(checkpoint)?.FullName,
                PostgresConnectionString = parse.GetValue(postgres),
                BootstrapServers = parse.GetValue(bootstrap),
                WindowSize = parse.GetValue(windowSize),
                Fraction = parse.GetValue(fraction),
                Settings = parse.GetValue(policy) is { } selected ? new Dictionary<string, string?> { ["Curation:Policy"] = selected } : new Dictionary<string, string?>(),
                Loop = parse.GetValue(loop),
                MaxCandidatesPerSecond = parse.GetValue(rate),
                SummaryJson = parse.GetValue(summaryJson)?.FullName,
                MetricsPort = parse.GetValue(metricsPort),
                ConfigFile = parse.GetValue(config)?.FullName,
                Verbose = parse.GetValue(verbose),
            };

            return await RunGuardedAsync(async () =>
            {
                if (parse.GetValue(policy) is { } policyName && !Enum.TryParse<RsStreamCurate.Curation.CurationPolicy>(policyName, ignoreCase: true, out _))
                {
                    throw new ArgumentException($"--policy '{policyName}' is not a policy; use TopFraction or BestOfN.");
                }

                if (settings.MaxCandidatesPerSecond is < 0)
                {
                    throw new ArgumentException($"--rate {settings.MaxCandidatesPerSecond} is negative; give a maximum of candidates per second, or leave it out for no limit.");
                }

                var summary = await new PipelineRunner(AnsiConsole.Console).RunAsync(settings, cancellationToken).ConfigureAwait(false);
                summary.Render(AnsiConsole.Console);
                if (settings.SummaryJson is not null)
                {
                    summary.WriteJson(settings.SummaryJson);
                    AnsiConsole.MarkupLine($"Summary written to [blue]{Markup.Escape(settings.SummaryJson)}[/]");
                }

                return 0;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command BuildServe()
    {
        var stage = new Argument<string>("stage") { Description = "Service to host: Synthesis, Scoring, Curation, Trainer, ScoringApi (HTTP POST /v1/score) or Feedback (labelling API and page)." };
        var url = new Option<string>("--url") { Description = $"Listen address of the HTTP services (default {ApiHost.DefaultUrl}).", DefaultValueFactory = _ => ApiHost.DefaultUrl };
        var config = new Option<FileInfo?>("--config") { Description = "JSON settings file with Kafka, Synthesis, Scoring and Curation sections." };
        var metricsPort = new Option<int>("--metrics-port") { Description = "Port of the Prometheus endpoint on 127.0.0.1; 0 disables it.", DefaultValueFactory = _ => 9462 };

        var command = new Command("serve", "Host one pipeline stage as a long-running service (production mode: one process per stage, scaled by Kafka consumer groups).")
        {
            stage, config, metricsPort, url,
        };
        command.SetAction(async (parse, cancellationToken) => await RunGuardedAsync(async () =>
        {
            string name = parse.GetValue(stage)!;
            if (name.Equals("ScoringApi", StringComparison.OrdinalIgnoreCase))
            {
                var apiDefaults = new Dictionary<string, string?>
                {
                    ["Scoring:Checkpoint"] = BundledAssets.DefaultCheckpoint,
                    ["Scoring:ImageRoot"] = Path.GetDirectoryName(BundledAssets.SampleManifest),
                };
                await using var api = ApiHost.BuildScoringApi(parse.GetValue(config)?.FullName, parse.GetValue(url)!, apiDefaults, LogLevel.Information);
                await api.RunAsync(cancellationToken).ConfigureAwait(false);
                return 0;
            }

            if (name.Equals("Feedback", StringComparison.OrdinalIgnoreCase))
            {
                return await FeedbackHost.RunAsync(parse.GetValue(config)?.FullName, parse.GetValue(url)!, parse.GetValue(metricsPort), cancellationToken).ConfigureAwait(false);
            }

            if (!Enum.TryParse<PipelineStages>(name, ignoreCase: true, out var selected) || selected is PipelineStages.None or PipelineStages.All)
            {
                throw new ArgumentException($"'{name}' is not a service; pass Synthesis, Scoring, Curation, Trainer, ScoringApi or Feedback.");
            }

            using var host = PipelineHost.Build(selected, new Dictionary<string, string?>(), new Dictionary<string, string?>(), parse.GetValue(config)?.FullName, LogLevel.Information);
            int port = parse.GetValue(metricsPort);
            using var metrics = port == 0 ? null : new Prometheus.MetricServer("127.0.0.1", port).Start();
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }).ConfigureAwait(false));
        return command;
    }

    /// <summary>Runs a command body and turns expected failures into a one-line error and exit code 1.</summary>
    internal static async Task<int> RunGuardedAsync(Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Microsoft.Extensions.Options.OptionsValidationException or ArgumentException or FileNotFoundException
            or DirectoryNotFoundException or InvalidOperationException or TimeoutException or IOException
            or RsStreamCurate.Synthesis.ManifestException or RsStreamCurate.Training.PreferenceFileException or InvalidDataException)
        {
            string message = ex is FileNotFoundException { FileName: { } file } && !ex.Message.Contains("; ", StringComparison.Ordinal)
                ? $"File '{file}' was not found; check the path."
                : ex.Message;
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");
            if (Environment.GetEnvironmentVariable("RSCURATE_DEBUG") == "1")
            {
                AnsiConsole.WriteException(ex);
            }

            return 1;
        }
    }
}
