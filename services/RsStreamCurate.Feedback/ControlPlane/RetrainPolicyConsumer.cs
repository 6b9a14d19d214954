using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RsStreamCurate.Contracts;

namespace RsStreamCurate.Feedback.ControlPlane;

/// <summary>Feeds control-plane events to the <see cref="RetrainPolicy"/> and publishes the requests it returns.</summary>
public sealed class RetrainPolicyConsumer(RetrainPolicy policy) :
    IConsumer<PreferenceRecorded>,
    IConsumer<ModelPublished>,
    IConsumer<ModelRejected>
{
    public const string QueueName = "rscurate-retrain-policy";

    public Task Consume(ConsumeContext<PreferenceRecorded> context) =>
        PublishIfDue(context, policy.OnPreferenceRecorded(context.Message));

    public Task Consume(ConsumeContext<ModelPublished> context) =>
        PublishIfDue(context, policy.OnTrainingFinished(context.Message.RequestId, "published", context.Message.ModelVersion));

    public Task Consume(ConsumeContext<ModelRejected> context) =>
        PublishIfDue(context, policy.OnTrainingFinished(context.Message.RequestId, "rejected", null));

    private static Task PublishIfDue(ConsumeContext context, RetrainRequested? request) =>
        request is null ? Task.CompletedTask : context.Publish(request);
}

/// <summary>Checks the time trigger of the <see cref="RetrainPolicy"/> every <see cref="RetrainPolicyOptions.CheckInterval"/>.</summary>
public sealed class RetrainPolicyTimer(
    RetrainPolicy policy,
    IServiceProvider services,
    IOptions<RetrainPolicyOptions> options,
    TimeProvider timeProvider,
    ILogger<RetrainPolicyTimer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckInterval, timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                if (policy.OnTick() is { } request)
                {
                    await services.GetRequiredService<IBus>().Publish(request, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.PolicyCheckFailed(logger, ex);
            }
        }
    }
}
