using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace RsStreamCurate.Scoring;

public static class ScoringServiceCollectionExtensions
{
    /// <summary>
    /// Registers the scoring stage: <see cref="ScoringOptions"/> from the <c>Scoring</c> section, validated at start,
    /// the <see cref="RewardScorerHolder"/> and the <see cref="ScoringWorker"/> that consumes <c>rs.candidates</c>.
    /// Kafka itself is registered by <c>AddRsKafka</c>.
    /// </summary>
    public static IServiceCollection AddScoringWorker(this IServiceCollection services)
    {
        services.AddScoringCore();
        services.TryAddSingleton<ScoringWorker>();
        services.AddHostedService(provider => provider.GetRequiredService<ScoringWorker>());
        return services;
    }

    /// <summary>
    /// Registers what scoring needs without a Kafka consumer: <see cref="ScoringOptions"/>, validated at start, and the
    /// <see cref="RewardScorerHolder"/>. The HTTP scoring API uses it alone.
    /// </summary>
    public static IServiceCollection AddScoringCore(this IServiceCollection services)
    {
        services.AddOptions<ScoringOptions>()
            .BindConfiguration(ScoringOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => Directory.Exists(o.Checkpoint), "Scoring:Checkpoint does not name an existing checkpoint directory.")
            .Validate(o => Directory.Exists(o.ImageRoot), "Scoring:ImageRoot does not name an existing folder.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RewardScorerHolder>();
        return services;
    }
}
