using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RsStreamCurate.Feedback;
using RsStreamCurate.Feedback.ControlPlane;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace RsStreamCurate.Trainer;

public static class TrainerServiceCollectionExtensions
{
    /// <summary>Registers <see cref="TrainerOptions"/> (section <c>Trainer</c>, validated at start) and the <see cref="RetrainCoordinator"/>.</summary>
    public static IServiceCollection AddTrainer(this IServiceCollection services)
    {
        services.AddOptions<TrainerOptions>()
            .BindConfiguration(TrainerOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => File.Exists(o.Manifest), "Trainer:Manifest does not name an existing manifest file.")
            .Validate(o => Directory.Exists(o.InitialCheckpoint), "Trainer:InitialCheckpoint does not name an existing checkpoint directory.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RetrainCoordinator>();
        return services;
    }

    /// <summary>Adds the trainer's consumer to a MassTransit bus: one training at a time per process.</summary>
    public static void AddTrainerConsumer(this IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<RetrainRequestedConsumer>(consumer => consumer.ConcurrentMessageLimit = 1)
            .Endpoint(endpoint => endpoint.Name = RetrainRequestedConsumer.QueueName);

    /// <summary>Adds the hot-swap consumer of a scoring process; every scorer gets its own queue so each one swaps.</summary>
    public static void AddModelSwapConsumer(this IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<ModelPublishedConsumer>()
            .Endpoint(endpoint => endpoint.InstanceId = Environment.MachineName + "-" + Environment.ProcessId);
}

/// <summary>The control-plane bus of processes other than the feedback service.</summary>
public static class ControlPlaneBus
{
    /// <summary>
    /// Registers MassTransit with the given consumers: RabbitMQ when the <c>RabbitMq</c> section names a host or a
    /// connection string, otherwise the in-memory transport, which only reaches consumers in the same process.
    /// </summary>
    public static IServiceCollection AddControlPlaneBus(this IServiceCollection services, IConfiguration configuration, Action<IBusRegistrationConfigurator> addConsumers)
    {
        var rabbit = configuration.GetSection(RabbitMqOptions.SectionName).Get<RabbitMqOptions>() ?? new RabbitMqOptions();
        services.AddMassTransit(bus =>
        {
            addConsumers(bus);
            if (rabbit.IsConfigured)
            {
                bus.UsingRabbitMq((context, transport) =>
                {
                    FeedbackServiceCollectionExtensions.ConfigureRabbitMqHost(transport, rabbit);
                    transport.ConfigureEndpoints(context);
                });
            }
            else
            {
                bus.UsingInMemory((context, transport) => transport.ConfigureEndpoints(context));
            }
        });
        services.AddOptions<MassTransitHostOptions>().Configure(options =>
        {
            options.WaitUntilStarted = true;
            options.StartTimeout = TimeSpan.FromSeconds(30);
        });
        return services;
    }
}
