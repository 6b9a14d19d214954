using System.Globalization;
using System.Threading.RateLimiting;
using MassTransit;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RsStreamCurate.Feedback.Api;
using RsStreamCurate.Feedback.Catalog;
using RsStreamCurate.Feedback.ControlPlane;
using RsStreamCurate.Feedback.Storage;
using RsStreamCurate.Kafka;

namespace RsStreamCurate.Feedback;

public static class FeedbackServiceCollectionExtensions
{
    /// <summary>
    /// Registers the feedback service: <see cref="FeedbackOptions"/> (<c>Feedback</c>), <see cref="RetrainPolicyOptions"/>
    /// (<c>Retrain</c>) and <see cref="RabbitMqOptions"/> (<c>RabbitMq</c>), all validated at start; the API-key
    /// authentication, the per-key rate limiter, the candidate catalog with its <c>rs.scored</c> consumer (unless
    /// <c>Feedback:ConsumeScored</c> is false), the label store (PostgreSQL when <c>Feedback:PostgresConnectionString</c>
    /// is set, else the JSONL file in <c>Feedback:DataDirectory</c>), and MassTransit with the retrain policy. MassTransit
    /// uses RabbitMQ when <c>RabbitMq:Host</c> or <c>RabbitMq:ConnectionString</c> is set, else the in-memory transport.
    /// <paramref name="configureBus"/> may add consumers of its own, for example in tests.
    /// </summary>
    public static IServiceCollection AddFeedbackService(
        this IServiceCollection services, IConfiguration configuration, Action<IBusRegistrationConfigurator>? configureBus = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<FeedbackOptions>().Bind(configuration.GetSection(FeedbackOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FeedbackOptions>, FeedbackOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        services.TryAddSingleton<ApiKeyRegistry>();
        services.TryAddSingleton<CandidateCatalog>();
        services.TryAddSingleton<LabelIndex>();
        services.TryAddSingleton<PreferenceValidator>();
        services.TryAddSingleton<IPreferenceEventPublisher, MassTransitPreferenceEventPublisher>();
        services.TryAddSingleton<FeedbackService>();
        services.TryAddSingleton(CreateStore);
        services.AddHostedService<FeedbackStoreOpener>();

        AddHttpServices(services);

        var feedback = configuration.GetSection(FeedbackOptions.SectionName).Get<FeedbackOptions>() ?? new FeedbackOptions();
        if (feedback.ConsumeScored)
        {
            services.AddRsKafka(configuration);
            services.AddHostedService<ScoredCatalogConsumer>();
        }

        services.AddFeedbackControlPlane(configuration, configureBus);
        return services;
    }

    /// <summary>
    /// Registers MassTransit and, unless <c>Retrain:Enabled</c> is false, the <see cref="RetrainPolicy"/> with its
    /// consumer and timer. <see cref="AddFeedbackService"/> calls it; call it alone to run the policy without the HTTP API.
    /// </summary>
    public static IServiceCollection AddFeedbackControlPlane(
        this IServiceCollection services, IConfiguration configuration, Action<IBusRegistrationConfigurator>? configureBus = null)
    {
        services.AddOptions<RetrainPolicyOptions>().Bind(configuration.GetSection(RetrainPolicyOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RetrainPolicyOptions>, RetrainPolicyOptionsValidator>());
        services.AddOptions<RabbitMqOptions>().Bind(configuration.GetSection(RabbitMqOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RabbitMqOptions>, RabbitMqOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        var retrain = configuration.GetSection(RetrainPolicyOptions.SectionName).Get<RetrainPolicyOptions>() ?? new RetrainPolicyOptions();
        var rabbit = configuration.GetSection(RabbitMqOptions.SectionName).Get<RabbitMqOptions>() ?? new RabbitMqOptions();
        if (retrain.Enabled)
        {
            services.TryAddSingleton<RetrainPolicy>();
            services.AddHostedService<RetrainPolicyTimer>();
        }

        services.AddMassTransit(bus =>
        {
            if (retrain.Enabled)
            {
                bus.AddConsumer<RetrainPolicyConsumer>().Endpoint(endpoint => endpoint.Name = RetrainPolicyConsumer.QueueName);
            }

            configureBus?.Invoke(bus);
            if (rabbit.IsConfigured)
            {
                bus.UsingRabbitMq((context, transport) =>
                {
                    ConfigureRabbitMqHost(transport, context.GetRequiredService<IOptions<RabbitMqOptions>>().Value);
                    transport.ConfigureEndpoints(context);
                });
            }
            else
            {
                bus.UsingInMemory((context, transport) => transport.ConfigureEndpoints(context));
            }
        });

        // A broker that cannot be reached fails the start instead of the first publish.
        services.AddOptions<MassTransitHostOptions>().Configure(options =>
        {
            options.WaitUntilStarted = true;
            options.StartTimeout = TimeSpan.FromSeconds(30);
            options.StopTimeout = TimeSpan.FromSeconds(30);
        });
        return services;
    }

    /// <summary>Points a RabbitMQ transport at the host of <paramref name="options"/>; other processes of the control plane use it too.</summary>
    public static void ConfigureRabbitMqHost(IRabbitMqBusFactoryConfigurator transport, RabbitMqOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            transport.Host(new Uri(options.ConnectionString));
            return;
        }

        transport.Host(options.Host, options.Port, options.VirtualHost, host =>
        {
            host.Username(options.Username);
            host.Password(options.Password);
        });
    }

    private static void AddHttpServices(IServiceCollection services)
    {
        services.AddProblemDetails();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, configureOptions: null);
        services.AddAuthorization(options =>
            options.DefaultPolicy = new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser().Build());

        services.AddRateLimiter(options =>
        {
            options.AddPolicy(FeedbackEndpoints.RateLimitPolicy, context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptions<FeedbackOptions>>().Value;
                return RateLimitPartition.GetFixedWindowLimiter(
                    context.User.Identity?.Name ?? string.Empty,
                    _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = settings.RateLimitPermits,
                        Window = settings.RateLimitWindow,
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    });
            });
            options.OnRejected = RejectAsync;
        });
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var settings = context.RequestServices.GetRequiredService<IOptions<FeedbackOptions>>().Value;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : settings.RateLimitWindow;
        int seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        FeedbackMetrics.RejectedRequests.WithLabels("rate_limited").Inc();

        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Results.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "Too many requests",
            detail: $"This API key may make {settings.RateLimitPermits} requests per {settings.RateLimitWindow.TotalSeconds} s; retry after {seconds} s.")
            .ExecuteAsync(context).ConfigureAwait(false);
    }

    private static IPreferenceStore CreateStore(IServiceProvider provider)
    {
        var options = provider.GetRequiredService<IOptions<FeedbackOptions>>().Value;
        var loggers = provider.GetRequiredService<ILoggerFactory>();
        return string.IsNullOrWhiteSpace(options.PostgresConnectionString)
            ? new JsonlPreferenceStore(options.DataDirectory, loggers.CreateLogger<JsonlPreferenceStore>())
            : new PostgresPreferenceStore(options.PostgresConnectionString, options.PostgresTable, loggers.CreateLogger<PostgresPreferenceStore>());
    }
}
