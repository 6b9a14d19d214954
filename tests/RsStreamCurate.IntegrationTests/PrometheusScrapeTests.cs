using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RsStreamCurate.Cli;
using Spectre.Console;

namespace RsStreamCurate.IntegrationTests;

/// <summary>A real Prometheus server scrapes a running pipeline, as a monitoring team's would.</summary>
public sealed class PrometheusScrapeTests
{
    private const string PrometheusBinary = "/usr/bin/prometheus";

    [Fact]
    public async Task Prometheus_scrapes_scores_while_running()
    {
        Assert.True(File.Exists(PrometheusBinary), $"{PrometheusBinary} is missing; install Debian's prometheus package (tools/run-tests.sh does).");
        using var temp = new TestSupport.TemporaryDirectory();
        int metricsPort = TestSupport.FreePort();
        int prometheusPort = TestSupport.FreePort();
        string config = Path.Combine(temp.Path, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: rscurate
                static_configs:
                  - targets: ["127.0.0.1:{metricsPort}"]
            """);

        using var prometheus = Process.Start(new ProcessStartInfo(PrometheusBinary)
        {
            ArgumentList =
            {
                $"--config.file={config}",
                $"--storage.tsdb.path={Path.Combine(temp.Path, "tsdb")}",
                $"--web.listen-address=127.0.0.1:{prometheusPort}",
            },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        prometheus.ErrorDataReceived += (_, _) => { };
        prometheus.OutputDataReceived += (_, _) => { };
        prometheus.BeginErrorReadLine();
        prometheus.BeginOutputReadLine();

        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var settings = new RunSettings
        {
            OutputDirectory = Path.Combine(temp.Path, "curated"),
            Loop = true,
            MaxCandidatesPerSecond = 400,
            WindowSize = 200,
            MetricsPort = metricsPort,
        };
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });
        var run = new PipelineRunner(console).RunAsync(settings, stop.Token);

        double? scoreCount = null;
        double? keptRatio = null;
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            while (!stop.IsCancellationRequested && !run.IsCompleted && (scoreCount is not > 0 || keptRatio is null))
            {
                await Task.Delay(1000);
                scoreCount = await QueryAsync(client, prometheusPort, $"sum(rscurate_reward_score_count{{model_version=\"{TestSupport.ShippedModelVersion}\"}})");
                keptRatio = await QueryAsync(client, prometheusPort, $"max(rscurate_window_kept_ratio{{model_version=\"{TestSupport.ShippedModelVersion}\"}})");
            }
        }
        finally
        {
            await stop.CancelAsync();
            var summary = await run;
            prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync();
            Assert.True(summary.Scored > 0, "the looping run scored nothing");
        }

        Assert.True(scoreCount > 0, "Prometheus never stored a reward score count above 0");
        Assert.NotNull(keptRatio);
        Assert.InRange(keptRatio!.Value, 0.3, 0.31);
    }

    /// <summary>Returns the first sample of an instant query, or null while Prometheus has none (or is not up).</summary>
    private static async Task<double?> QueryAsync(HttpClient client, int port, string query)
    {
        try
        {
            var json = await client.GetStringAsync($"http://127.0.0.1:{port}/api/v1/query?query={Uri.EscapeDataString(query)}");
            using var document = JsonDocument.Parse(json);
            var result = document.RootElement.GetProperty("data").GetProperty("result");
            if (result.GetArrayLength() == 0)
            {
                return null;
            }

            return double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
