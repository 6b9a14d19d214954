using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace RsStreamCurate.Kafka;

public static class KafkaServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="KafkaOptions"/> from the <c>Kafka</c> section (validated at host start),
    /// <see cref="KafkaConnection"/>, <see cref="DeadLetterPublisher"/> and <see cref="ConsumerLagMonitor"/>
    /// as singletons, and the <see cref="ConsumerLagReporter"/> hosted service. Consumer services derived from <see cref="KafkaBatchConsumerService"/> are registered by the
    /// caller with <c>AddHostedService</c>.
    /// </summary>
    public static IServiceCollection AddRsKafka(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<KafkaOptions>()
            .Bind(configuration.GetSection(KafkaOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KafkaOptions>, KafkaOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        services.TryAddSingleton<KafkaConnection>();
        services.TryAddSingleton<DeadLetterPublisher>();
        services.TryAddSingleton<ConsumerLagMonitor>();
        services.AddHostedService<ConsumerLagReporter>();
        return services;
    }
}
