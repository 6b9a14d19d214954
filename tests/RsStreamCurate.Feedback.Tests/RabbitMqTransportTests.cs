using RsStreamCurate.Feedback.ControlPlane;

namespace RsStreamCurate.Feedback.Tests;

/// <summary>The control plane over a real RabbitMQ broker, whose AMQP URI RSCURATE_TEST_RABBITMQ names.</summary>
public sealed class RabbitMqTransportTests
{
    private const string BrokerVariable = "RSCURATE_TEST_RABBITMQ";

    [Fact]
    public async Task Labels_reach_trainer_and_back()
    {
        string? broker = Environment.GetEnvironmentVariable(BrokerVariable);
        Assert.True(
            !string.IsNullOrWhiteSpace(broker),
            $"{BrokerVariable} is not set. Run bash tools/run-tests.sh, which starts a scratch RabbitMQ node, or start one with tools/rabbitmq-scratch.sh start DIR and set {BrokerVariable} to the URI it prints.");

        await using var host = await ControlPlaneTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["RabbitMq:ConnectionString"] = broker,
            ["Retrain:LabelThreshold"] = "2",
        });
        host.Trainer.PublishesModels = true;

        await host.PublishLabelsAsync([1, 2]);
        await ControlPlaneTestHost.WaitForAsync(() => host.Policy.CurrentModelVersion == "reward-trained-1", "the trainer's ModelPublished came back over RabbitMQ");
        await ControlPlaneTestHost.WaitForAsync(() => host.Policy.InFlightRequestId is null, "the training ended");

        var request = Assert.Single(host.Trainer.Requests);
        Assert.Equal(2, request.NewLabelCount);
        Assert.Equal(RetrainPolicy.LabelCountTrigger, request.Trigger);
        Assert.Equal(new RetrainPolicyOptions().InitialModelVersion, request.BaseModelVersion);
    }
}
