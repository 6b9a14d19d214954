using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Feedback;
using RsStreamCurate.Feedback.Api;

namespace RsStreamCurate.Cli;

/// <summary>
/// Hosts the feedback service for <c>rscurate serve Feedback</c>: the HTTP API and labelling page, the
/// <c>rs.scored</c> catalog consumer and the retrain policy. Configuration comes, from lowest to highest priority,
/// from <c>appsettings.json</c> in the working folder, the file given with <c>--config</c> and environment variables
/// (<c>Feedback__ApiKeys__alice=...</c>). The service listens on <paramref name="url"/> (<c>--url</c>), and the
/// metrics are served on 127.0.0.1:<paramref name="metricsPort"/> unless it is 0.
/// </summary>
internal static class FeedbackHost
{
    public static async Task<int> RunAsync(string? configFile, string url, int metricsPort, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = Directory.GetCurrentDirectory() });
        builder.WebHost.UseUrls(url);
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new FileNotFoundException($"Configuration file '{configFile}' was not found; pass an existing JSON file to --config.", configFile);
            }

            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);

            // Environment variables keep priority over the file, so secrets can stay out of it.
            builder.Configuration.AddEnvironmentVariables();
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddFeedbackService(builder.Configuration);

        await using var app = builder.Build();
        app.MapFeedbackEndpoints();
        using var metrics = metricsPort == 0 ? null : new Prometheus.MetricServer("127.0.0.1", metricsPort).Start();
        await app.RunAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }
}
