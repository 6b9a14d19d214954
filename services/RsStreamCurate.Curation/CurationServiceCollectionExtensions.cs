using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RsStreamCurate.Curation.Sinks;

namespace RsStreamCurate.Curation;

public static class CurationServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="CurationOptions"/> from the <c>Curation</c> section, validated at start, the
    /// <see cref="CurationEngine"/> and an <see cref="ICuratedWindowSink"/>: the dataset directory, plus
    /// PostgreSQL when <c>Curation:PostgresConnectionString</c> is set.
    /// </summary>
    public static IServiceCollection AddCuration(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddOptions<CurationOptions>()
            .BindConfiguration(CurationOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CurationOptions>, CurationOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        services.TryAddSingleton<CurationEngine>();
        services.TryAddSingleton<DatasetDirectorySink>();
        services.TryAddSingleton<ICuratedWindowSink>(CreateSink);
        return services;
    }

    /// <summary>
    /// Registers the curation stage: everything of <see cref="AddCuration"/> plus the <see cref="CurationWorker"/>
    /// that consumes <c>rs.scored</c>. Kafka itself is registered by <c>AddRsKafka</c>.
    /// </summary>
    public static IServiceCollection AddCurationWorker(this IServiceCollection services)
    {
        services.AddCuration();
        services.TryAddSingleton<CurationWorker>();
        services.AddHostedService(provider => provider.GetRequiredService<CurationWorker>());
        return services;
    }

    private static ICuratedWindowSink CreateSink(IServiceProvider provider)
    {
        var options = provider.GetRequiredService<IOptions<CurationOptions>>();
        var dataset = provider.GetRequiredService<DatasetDirectorySink>();
        if (string.IsNullOrWhiteSpace(options.Value.PostgresConnectionString))
        {
            return dataset;
        }

        var postgres = new PostgresCuratedSink(options, provider.GetRequiredService<ILogger<PostgresCuratedSink>>());
        return new CompositeCuratedWindowSink([dataset, postgres]);
    }
}
