using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Curation;
using RsStreamCurate.Feedback;
using RsStreamCurate.Feedback.Api;
using RsStreamCurate.Kafka;
using RsStreamCurate.Scoring;
using RsStreamCurate.Synthesis;
using RsStreamCurate.Trainer;

namespace RsStreamCurate.Cli;

/// <summary>
/// Builds one process that runs the whole loop: synthesis, scoring and curation on Kafka, the feedback API and
/// labelling page, the retrain policy on the MassTransit bus (in-memory unless <c>RabbitMq</c> is configured), the
/// trainer, and the hot swap of the scorer when a model is published.
/// </summary>
public static class LoopHost
{
    public static WebApplication Build(string url, IReadOnlyDictionary<string, string?> settings, string? configFile, LogLevel minimumLogLevel)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = Directory.GetCurrentDirectory() });
        var baseDefaults = new Dictionary<string, string?>
        {
            ["Kafka:MonitoredGroups:rscurate-scoring"] = "rs.candidates",
            ["Kafka:MonitoredGroups:rscurate-curation"] = "rs.scored",
        };
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = baseDefaults });
        if (configFile is not null)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.SetMinimumLevel(minimumLogLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("MassTransit", LogLevel.Warning);

        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(60));
        builder.Services.AddRsKafka(builder.Configuration);
        builder.Services.AddSynthesisWorker();
        builder.Services.AddScoringWorker();
        builder.Services.AddCurationWorker();
        builder.Services.AddTrainer();
        builder.Services.AddFeedbackService(builder.Configuration, bus =>
        {
            bus.AddTrainerConsumer();
            bus.AddModelSwapConsumer();
        });

        var app = builder.Build();
        app.MapFeedbackEndpoints();
        return app;
    }
}
