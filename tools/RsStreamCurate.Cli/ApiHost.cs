using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using RsStreamCurate.Scoring;
using RsStreamCurate.ScoringApi;

namespace RsStreamCurate.Cli;

/// <summary>Builds the web host of the HTTP scoring API, with /metrics on the same port.</summary>
public static class ApiHost
{
    /// <summary>Default address: loopback only, so exposing the API is a deliberate choice.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    public static WebApplication BuildScoringApi(string? configFile, string url, IReadOnlyDictionary<string, string?> defaults, LogLevel minimumLogLevel)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = defaults });
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new FileNotFoundException($"Configuration file '{configFile}' was not found; pass an existing JSON file to --config.", configFile);
            }

            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }

        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.SetMinimumLevel(minimumLogLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddScoringCore();
        builder.Services.AddScoringApi();

        var app = builder.Build();
        app.MapScoringApi();
        app.MapGet("/metrics", async context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        });
        return app;
    }
}
