using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Curation;
using RsStreamCurate.Kafka;
using RsStreamCurate.Scoring;
using RsStreamCurate.Synthesis;
using RsStreamCurate.Trainer;

namespace RsStreamCurate.Cli;

/// <summary>Pipeline stages that one process can host.</summary>
[Flags]
public enum PipelineStages
{
    None = 0,
    Synthesis = 1,
    Scoring = 2,
    Curation = 4,

    /// <summary>The trainer that retrains the reward model on <c>RetrainRequested</c>; not part of <see cref="All"/>.</summary>
    Trainer = 8,
    All = Synthesis | Scoring | Curation,
}

/// <summary>
/// Builds the generic host of one or more pipeline stages. Configuration comes, from lowest to highest priority,
/// from the embedded defaults, <c>appsettings.json</c> beside the executable or in the working folder, the file
/// given with <c>--config</c>, environment variables (<c>Curation__WindowSize=500</c>) and the command-line options.
/// </summary>
public static class PipelineHost
{
    public static IHost Build(
        PipelineStages stages,
        IReadOnlyDictionary<string, string?> defaults,
        IReadOnlyDictionary<string, string?> overrides,
        string? configFile,
        LogLevel minimumLogLevel)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = Directory.GetCurrentDirectory(),
        });

        // The lag of both downstream groups is published as rscurate_consumer_lag_messages unless configured otherwise.
        var baseDefaults = new Dictionary<string, string?>
        {
            ["Kafka:MonitoredGroups:rscurate-scoring"] = "rs.candidates",
            ["Kafka:MonitoredGroups:rscurate-curation"] = "rs.scored",
        };
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = baseDefaults.Concat(defaults) });
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new FileNotFoundException($"Configuration file '{configFile}' was not found; pass an existing JSON file to --config.", configFile);
            }

            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }

        builder.Configuration.AddInMemoryCollection(overrides);

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.SetMinimumLevel(minimumLogLevel);
        if (minimumLogLevel >= LogLevel.Warning)
        {
            // A failed start is printed by the command as one error line; the host would add a stack trace.
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        }

        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(60));
        builder.Services.AddRsKafka(builder.Configuration);
        if (stages.HasFlag(PipelineStages.Synthesis))
        {
            builder.Services.AddSynthesisWorker();
        }

        if (stages.HasFlag(PipelineStages.Scoring))
        {
            builder.Services.AddScoringWorker();

            // A scorer in its own process learns of promoted models over the control-plane bus (RabbitMQ when configured).
            if (stages == PipelineStages.Scoring)
            {
                builder.Services.AddControlPlaneBus(builder.Configuration, bus => bus.AddModelSwapConsumer());
            }
        }

        if (stages.HasFlag(PipelineStages.Trainer))
        {
            builder.Services.AddTrainer();
            builder.Services.AddControlPlaneBus(builder.Configuration, bus => bus.AddTrainerConsumer());
        }

        if (stages.HasFlag(PipelineStages.Curation))
        {
            builder.Services.AddCurationWorker();
        }

        return builder.Build();
    }
}
