using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace RsStreamCurate.Kafka.Tests;

public sealed class BackpressureTests(ITestOutputHelper output)
{
    [Fact]
    public void Lag_monitor_reports_uncommitted_messages()
    {
        using var context = KafkaTestContext.Create(output);
        context.CreateTopic("lag", 4);
        using var monitor = new ConsumerLagMonitor(context.Connection, context.LoggerFactory.CreateLogger<ConsumerLagMonitor>());

        long before = monitor.MeasureLag("lag-group", "lag");
        context.ProduceText("lag", 40, "m-");
        long after = monitor.MeasureLag("lag-group", "lag");

        Assert.Equal(0, before);
        Assert.Equal(40, after);
        Assert.Equal(40, KafkaMetrics.ConsumerLag.WithLabels("lag-group", "lag").Value);
    }

    [Fact]
    public async Task Gate_blocks_until_consumer_catches_up()
    {
        using var context = KafkaTestContext.Create(output, options => options.MaxConsumerLag = 100);
        context.CreateTopic("gated", 4);
        using var monitor = new ConsumerLagMonitor(context.Connection, context.LoggerFactory.CreateLogger<ConsumerLagMonitor>());
        var gate = monitor.CreateGate("gated-group", "gated", context.LoggerFactory.CreateLogger<BackpressureGate>());
        context.ProduceText("gated", 250, "g-");

        var wait = gate.WaitAsync().AsTask();
        var early = await Task.WhenAny(wait, Task.Delay(700));
        Assert.NotSame(wait, early);

        var consumer = new DelegateConsumerService(context, "gated-stage", "gated-group", "gated", (svc, batch) =>
        {
            svc.MarkAllDurable(batch);
            return Task.CompletedTask;
        });
        await consumer.StartAsync(CancellationToken.None);
        var released = await Task.WhenAny(wait, Task.Delay(KafkaTestContext.Timeout));
        long lagAtRelease = await monitor.GetLagAsync("gated-group", "gated");
        await consumer.StopAsync(CancellationToken.None);
        consumer.Dispose();

        Assert.Same(wait, released);
        Assert.True(lagAtRelease <= 100, $"the gate opened while the lag was {lagAtRelease}, above the limit of 100");
    }

    [Fact]
    public async Task Gate_counts_messages_between_measurements()
    {
        using var context = KafkaTestContext.Create(output, options =>
        {
            options.MaxConsumerLag = 10;
            options.LagCacheDuration = TimeSpan.FromMinutes(5);
        });
        context.CreateTopic("counted", 1);
        using var monitor = new ConsumerLagMonitor(context.Connection, context.LoggerFactory.CreateLogger<ConsumerLagMonitor>());
        var gate = monitor.CreateGate("counted-group", "counted", context.LoggerFactory.CreateLogger<BackpressureGate>());

        for (int i = 0; i < 11; i++)
        {
            var pass = gate.WaitAsync();
            Assert.True(pass.IsCompleted || await Task.WhenAny(pass.AsTask(), Task.Delay(2000)) == pass.AsTask(), $"message {i} was held below the limit");
        }

        var held = gate.WaitAsync().AsTask();
        var first = await Task.WhenAny(held, Task.Delay(500));

        Assert.NotSame(held, first);
    }
}
