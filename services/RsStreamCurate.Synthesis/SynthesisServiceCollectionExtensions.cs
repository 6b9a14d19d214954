using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace RsStreamCurate.Synthesis;

public static class SynthesisServiceCollectionExtensions
{
    /// <summary>
    /// Registers the synthesis stage: <see cref="SynthesisOptions"/> from the <c>Synthesis</c> section, validated
    /// at start, and the <see cref="SynthesisWorker"/> that publishes to <c>rs.candidates</c>. Kafka itself is
    /// registered by <c>AddRsKafka</c>.
    /// </summary>
    public static IServiceCollection AddSynthesisWorker(this IServiceCollection services)
    {
        services.AddOptions<SynthesisOptions>()
            .BindConfiguration(SynthesisOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => File.Exists(o.Manifest), "Synthesis:Manifest does not name an existing file; pass an RSICD-style JSONL manifest.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SynthesisWorker>();
        services.AddHostedService(provider => provider.GetRequiredService<SynthesisWorker>());
        return services;
    }
}
