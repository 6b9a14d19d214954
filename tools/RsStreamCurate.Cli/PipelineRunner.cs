using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using RsStreamCurate.Contracts;
using RsStreamCurate.Curation;
using RsStreamCurate.Kafka;
using RsStreamCurate.Scoring;
using RsStreamCurate.Synthesis;
using Spectre.Console;

namespace RsStreamCurate.Cli;

/// <summary>Settings of one <c>rscurate run</c>.</summary>
public sealed record RunSettings
{
    public string? Manifest { get; init; }
    public string? ImageRoot { get; init; }
    public string? OutputDirectory { get; init; }
    public string? Checkpoint { get; init; }
    public string? PostgresConnectionString { get; init; }
    public string? BootstrapServers { get; init; }
    public int? WindowSize { get; init; }
    public double? Fraction { get; init; }
    public bool Loop { get; init; }
    public double? MaxCandidatesPerSecond { get; init; }
    public string? SummaryJson { get; init; }
    public string? ConfigFile { get; init; }

    /// <summary>Port of the Prometheus endpoint on 127.0.0.1; 0 disables it.</summary>
    public int MetricsPort { get; init; } = 9464;

    public bool Verbose { get; init; }

    /// <summary>Further configuration keys (for example <c>Curation:PostgresTable</c>), applied after the options above.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>Longest time without any progress before the run gives up.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Runs synthesis, scoring and curation in one process until the whole manifest has been curated (or until
/// cancelled with <c>--loop</c>), then stops the stages, which closes the last window, and reads the totals
/// back from the broker.
/// </summary>
public sealed class PipelineRunner(IAnsiConsole console)
{
    public async Task<RunSummary> RunAsync(RunSettings settings, CancellationToken cancellationToken)
    {
        string manifest = Path.GetFullPath(settings.Manifest ?? BundledAssets.SampleManifest);
        if (!File.Exists(manifest))
        {
            throw new FileNotFoundException($"Manifest '{manifest}' was not found; pass an RSICD-style JSONL file to --manifest.", manifest);
        }

        string imageRoot = Path.GetFullPath(settings.ImageRoot ?? Path.GetDirectoryName(manifest)!);
        var defaults = new Dictionary<string, string?>
        {
            ["Synthesis:Manifest"] = manifest,
            ["Synthesis:ImageRoot"] = imageRoot,
            ["Scoring:ImageRoot"] = imageRoot,
            ["Scoring:Checkpoint"] = BundledAssets.DefaultCheckpoint,
            ["Curation:OutputDirectory"] = Path.GetFullPath("curated"),
        };
        var overrides = new Dictionary<string, string?>();
        void Set(string key, object? value)
        {
            if (value is not null)
            {
                overrides[key] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        Set("Synthesis:Loop", settings.Loop ? "true" : null);
        Set("Synthesis:MaxCandidatesPerSecond", settings.MaxCandidatesPerSecond);
        Set("Scoring:Checkpoint", settings.Checkpoint is null ? null : Path.GetFullPath(settings.Checkpoint));
        Set("Curation:OutputDirectory", settings.OutputDirectory is null ? null : Path.GetFullPath(settings.OutputDirectory));
        Set("Curation:PostgresConnectionString", settings.PostgresConnectionString);
        Set("Curation:WindowSize", settings.WindowSize);
        Set("Curation:Fraction", settings.Fraction);
        Set("Kafka:BootstrapServers", settings.BootstrapServers);
        foreach (var (key, value) in settings.Settings)
        {
            overrides[key] = value;
        }

        using var host = PipelineHost.Build(PipelineStages.All, defaults, overrides, settings.ConfigFile, settings.Verbose ? LogLevel.Information : LogLevel.Warning);
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger<PipelineRunner>();
        var synthesis = host.Services.GetRequiredService<SynthesisWorker>();
        var scoring = host.Services.GetRequiredService<ScoringWorker>();
        var curation = host.Services.GetRequiredService<CurationWorker>();
        var connection = host.Services.GetRequiredService<KafkaConnection>();
        var lagMonitor = host.Services.GetRequiredService<ConsumerLagMonitor>();
        var scoringOptions = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ScoringOptions>>().Value;

        var windows = new ConcurrentQueue<CuratedWindow>();
        curation.WindowCompleted += windows.Enqueue;

        using var metricServer = StartMetricServer(settings.MetricsPort);
        var started = Stopwatch.GetTimestamp();
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Pipeline started: manifest {Manifest}, Kafka {BootstrapServers}, metrics port {MetricsPort}", manifest, connection.BootstrapServers, settings.MetricsPort);

        try
        {
            await WaitUntilCuratedAsync(settings, synthesis, scoring, curation, lagMonitor, scoringOptions.GroupId, windows, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.MarkupLine("[yellow]Stopping: the open window is closed and written before exit.[/]");
        }

        // Stopping the curator closes and writes the open window; the broker stays up until the host is disposed.
        await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        var deadLetters = TopicReader.ReadAll(connection, Topics.DeadLetter, TimeSpan.FromSeconds(10))
            .Select(payload => MessageCodec.DecodeDeadLetter(payload))
            .ToList();
        var windowList = windows.ToList();
        return new RunSummary
        {
            CandidatesIn = synthesis.Produced,
            Scored = scoring.Scored,
            DeadLettered = deadLetters.Count,
            DeadLettersByReason = deadLetters.GroupBy(d => d.Reason).ToDictionary(g => g.Key, g => (long)g.Count()),
            CuratedOut = windowList.Sum(w => (long)w.Kept),
            Seconds = seconds,
            Windows = windowList.Select(RunSummary.Describe).ToList(),
        };
    }

    private async Task WaitUntilCuratedAsync(
        RunSettings settings,
        SynthesisWorker synthesis,
        ScoringWorker scoring,
        CurationWorker curation,
        ConsumerLagMonitor lagMonitor,
        string scoringGroup,
        ConcurrentQueue<CuratedWindow> windows,
        CancellationToken cancellationToken)
    {
        long lastProgress = -1;
        var lastChange = Stopwatch.GetTimestamp();
        bool interactive = console.Profile.Capabilities.Interactive;
        var lastReport = Stopwatch.GetTimestamp();

        while (true)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
            if (synthesis.Completion.IsFaulted)
            {
                throw new InvalidOperationException("Synthesis failed; see the log above.", synthesis.Completion.Exception);
            }

            long progress = synthesis.Produced + scoring.Consumed + curation.Consumed;
            if (progress != lastProgress)
            {
                lastProgress = progress;
                lastChange = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(lastChange) > settings.StallTimeout)
            {
                throw new TimeoutException($"No candidate moved for {settings.StallTimeout.TotalSeconds:F0} s (produced {synthesis.Produced}, scored {scoring.Scored}, curated input {curation.Consumed}). Check the log with --verbose.");
            }

            if (interactive || Stopwatch.GetElapsedTime(lastReport) > TimeSpan.FromSeconds(5))
            {
                console.MarkupLine($"[grey]produced {synthesis.Produced:N0} · scored {scoring.Scored:N0} · curation input {curation.Consumed:N0} · windows {windows.Count:N0}[/]");
                lastReport = Stopwatch.GetTimestamp();
            }

            if (!synthesis.Completion.IsCompletedSuccessfully)
            {
                continue;
            }

            // Every candidate is scored or dead-lettered once the scorers' committed offsets reach the end of the
            // topic, and the curator has everything once it consumed as many scores as were published.
            long scoringLag = await Task.Run(() => lagMonitor.MeasureLag(scoringGroup, Topics.Candidates), cancellationToken).ConfigureAwait(false);
            if (scoringLag == 0 && curation.Consumed >= scoring.Scored)
            {
                return;
            }
        }
    }

    private static IDisposable? StartMetricServer(int port)
    {
        if (port == 0)
        {
            return null;
        }

        var server = new MetricServer("127.0.0.1", port);
        try
        {
            server.Start();
        }
        catch (Exception ex)
        {
            server.Dispose();
            throw new InvalidOperationException($"The metrics endpoint could not listen on 127.0.0.1:{port} ({ex.Message}). Pass another --metrics-port, or 0 to disable it.", ex);
        }

        return server;
    }
}
