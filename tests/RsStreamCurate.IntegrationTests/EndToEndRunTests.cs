using System.Collections.Concurrent;
using RsStreamCurate.Cli;
using RsStreamCurate.Synthesis;
using Spectre.Console;

namespace RsStreamCurate.IntegrationTests;

/// <summary>Runs the whole pipeline (synthesis, embedded broker, TorchSharp scorer, curator) over the shipped sample.</summary>
public sealed class EndToEndRunTests
{
    [Fact]
    public async Task Sample_run_curates_every_candidate()
    {
        using var output = new TestSupport.TemporaryDirectory();
        int port = TestSupport.FreePort();
        int expected = new CandidateFeed(new SynthesisOptions { Manifest = BundledAssets.SampleManifest }, TimeProvider.System)
            .Enumerate(CancellationToken.None)
            .Count();
        var settings = new RunSettings
        {
            OutputDirectory = Path.Combine(output.Path, "curated"),
            WindowSize = 250,
            MetricsPort = port,
        };

        using var scrapeStop = new CancellationTokenSource();
        var scrapes = new ConcurrentBag<string>();
        var scraper = ScrapeAsync($"http://127.0.0.1:{port}/metrics", scrapes, scrapeStop.Token);
        var summary = await new PipelineRunner(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) }))
            .RunAsync(settings, CancellationToken.None);
        await scrapeStop.CancelAsync();
        await scraper;

        Assert.Equal(expected, summary.CandidatesIn);
        Assert.Equal(expected, summary.Scored + summary.DeadLettered);
        Assert.Equal(0, summary.DeadLettered);
        Assert.Equal(summary.Scored, summary.Windows.Sum(w => w.Size));
        Assert.True(summary.Windows.Count >= 4, $"expected at least 4 windows of 250, got {summary.Windows.Count}");
        foreach (var window in summary.Windows)
        {
            Assert.Equal((int)Math.Ceiling(0.3m * window.Size), window.Kept);
            Assert.InRange(window.Size, 1, 250);
            Assert.Equal(TestSupport.ShippedModelVersion, window.ModelVersion);
        }

        var ids = await TestSupport.ReadShardCandidateIdsAsync(settings.OutputDirectory!);
        Assert.Equal(summary.CuratedOut, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(summary.Windows.Count, File.ReadAllLines(Path.Combine(settings.OutputDirectory!, "manifest.jsonl")).Length);

        var summaryPath = Path.Combine(output.Path, "summary.json");
        summary.WriteJson(summaryPath);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(summaryPath));
        Assert.Equal(expected, json.RootElement.GetProperty("candidates_in").GetInt64());
        Assert.Equal(summary.Windows.Count, json.RootElement.GetProperty("windows").GetArrayLength());
        Assert.Equal(summary.Windows[0].WindowId, json.RootElement.GetProperty("windows")[0].GetProperty("window_id").GetString());

        var withScores = scrapes.FirstOrDefault(s => s.Contains($"rscurate_reward_score_bucket{{model_version=\"{TestSupport.ShippedModelVersion}\""));
        Assert.True(withScores is not null, $"no scrape of the {scrapes.Count} taken during the run showed the score histogram");
        Assert.Contains("rscurate_candidates_total{stage=\"scoring\",direction=\"out\"}", withScores);
    }

    [Fact]
    public async Task Window_above_lag_limit_fails_at_start()
    {
        using var output = new TestSupport.TemporaryDirectory();
        var settings = new RunSettings { OutputDirectory = output.Path, WindowSize = 30_000, MetricsPort = 0 };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new PipelineRunner(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) })).RunAsync(settings, CancellationToken.None));

        Assert.Contains("Curation:WindowSize (30000)", error.Message);
        Assert.Contains("Kafka:MaxConsumerLag (20000)", error.Message);
    }

    private static async Task ScrapeAsync(string url, ConcurrentBag<string> scrapes, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                scrapes.Add(await client.GetStringAsync(url, cancellationToken));
            }
            catch (HttpRequestException)
            {
                // The endpoint is not up yet.
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
