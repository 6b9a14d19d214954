using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Cli;
using RsStreamCurate.Contracts;
using RsStreamCurate.Scoring;

namespace RsStreamCurate.IntegrationTests;

/// <summary>A scorer running as its own process (the <c>serve Scoring</c> host) swaps models published over RabbitMQ.</summary>
public sealed class ProductionSwapTests
{
    [Fact]
    public async Task Scorer_swaps_on_rabbitmq_publish()
    {
        string? broker = Environment.GetEnvironmentVariable("RSCURATE_TEST_RABBITMQ");
        Assert.False(string.IsNullOrWhiteSpace(broker), "RSCURATE_TEST_RABBITMQ is not set. Run the tests with tools/run-tests.sh, which starts a scratch RabbitMQ node on 127.0.0.1 and sets it.");
        using var temp = new TestSupport.TemporaryDirectory();
        string next = HotSwapTests.CopyCheckpointAs(BundledAssets.DefaultCheckpoint, Path.Combine(temp.Path, "reward-swap"), "reward-swap");
        var defaults = new Dictionary<string, string?>
        {
            ["Scoring:Checkpoint"] = BundledAssets.DefaultCheckpoint,
            ["Scoring:ImageRoot"] = Path.GetDirectoryName(BundledAssets.SampleManifest),
            ["RabbitMq:ConnectionString"] = broker,
        };
        using var scorerHost = PipelineHost.Build(PipelineStages.Scoring, defaults, new Dictionary<string, string?>(), null, LogLevel.Warning);
        var holder = scorerHost.Services.GetRequiredService<RewardScorerHolder>();
        string before = holder.ModelVersion;
        await scorerHost.StartAsync();

        var publisherServices = new ServiceCollection()
            .AddLogging()
            .AddMassTransit(bus => bus.UsingRabbitMq((_, transport) => transport.Host(new Uri(broker!))));
        await using var publisher = publisherServices.BuildServiceProvider();
        var bus = publisher.GetRequiredService<IBusControl>();
        await bus.StartAsync();
        try
        {
            await bus.Publish(new ModelPublished { ModelVersion = "reward-swap", CheckpointUri = next, HeldOutAccuracy = 0.9 });
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (holder.ModelVersion != "reward-swap" && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
        finally
        {
            await bus.StopAsync();
            await scorerHost.StopAsync();
        }

        Assert.NotEqual("reward-swap", before);
        Assert.Equal("reward-swap", holder.ModelVersion);
    }
}
