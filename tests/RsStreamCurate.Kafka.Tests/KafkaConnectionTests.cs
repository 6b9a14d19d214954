using System.Collections.Concurrent;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RsStreamCurate.Contracts;
using Xunit.Abstractions;

namespace RsStreamCurate.Kafka.Tests;

public sealed class KafkaConnectionTests(ITestOutputHelper output)
{
    [Fact]
    public void Embedded_connection_creates_data_plane_topics()
    {
        using var context = KafkaTestContext.Create(output);

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = context.Connection.BootstrapServers }).Build();
        var metadata = admin.GetMetadata(KafkaTestContext.Timeout);

        Assert.True(context.Connection.IsEmbedded);
        foreach (string topic in Topics.All)
        {
            var topicMetadata = metadata.Topics.SingleOrDefault(t => t.Topic == topic);
            Assert.True(topicMetadata is not null, $"topic {topic} is missing");
            Assert.Equal(8, topicMetadata.Partitions.Count);
        }
    }

    [Fact]
    public void Client_configs_carry_delivery_defaults()
    {
        var options = new KafkaOptions { Client = { ["security.protocol"] = "plaintext" }, Producer = { ["linger.ms"] = "20" } };
        using var embedded = new KafkaConnection(Options.Create(options), NullLoggerFactory.Instance);
        using var real = new KafkaConnection(Options.Create(new KafkaOptions { BootstrapServers = "127.0.0.1:9092" }), NullLoggerFactory.Instance);

        var producer = embedded.CreateProducerConfig("scoring");
        var consumer = embedded.CreateConsumerConfig("scorers", "scoring");
        var realConsumer = real.CreateConsumerConfig("scorers", "scoring");

        Assert.Equal(Acks.All, producer.Acks);
        Assert.True(producer.EnableIdempotence);
        Assert.Equal(20, producer.LingerMs);
        Assert.Equal("rscurate-scoring", producer.ClientId);
        Assert.Equal(SecurityProtocol.Plaintext, producer.SecurityProtocol);
        Assert.False(consumer.EnableAutoOffsetStore);
        Assert.True(consumer.EnableAutoCommit);
        Assert.Equal(AutoOffsetReset.Earliest, consumer.AutoOffsetReset);
        Assert.Equal(GroupProtocol.Consumer, consumer.GroupProtocol);
        Assert.Equal(SecurityProtocol.Plaintext, consumer.SecurityProtocol);
        Assert.Equal("127.0.0.1:9092", realConsumer.BootstrapServers);
        Assert.Equal(GroupProtocol.Classic, realConsumer.GroupProtocol);
        Assert.False(real.IsEmbedded);
        Assert.Null(real.EmbeddedCluster);
    }

    [Fact]
    public async Task Invalid_settings_fail_start_naming_setting()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = "broker-without-port",
            ["Kafka:Partitions"] = "0",
            ["Kafka:GroupProtocol"] = "eager",
            ["Kafka:Consumer:enable.auto.offset.store"] = "true",
        });
        builder.Services.AddRsKafka(builder.Configuration);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Kafka:BootstrapServers entry 'broker-without-port' is invalid", error.Message);
        Assert.Contains("Partitions", error.Message);
        Assert.Contains("Kafka:GroupProtocol is 'eager'", error.Message);
        Assert.Contains("Kafka:Consumer:enable.auto.offset.store", error.Message);
    }

    [Fact]
    public async Task Consumer_protocol_rejects_classic_only_settings()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Kafka:Consumer:session.timeout.ms"] = "6000" });
        builder.Services.AddRsKafka(builder.Configuration);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Kafka:Consumer:session.timeout.ms is set", error.Message);
    }

    [Fact]
    public async Task Hosted_pipeline_stops_and_disposes_cleanly()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:ConsumeBatchMaxWait"] = "00:00:00.100",
            ["Kafka:CommitInterval"] = "00:00:00.200",
            ["Kafka:MonitoredGroups:hosted-consumers"] = Topics.Curated,
            ["Kafka:LagReportInterval"] = "00:00:00.100",
        });
        builder.Logging.AddProvider(new TestOutputLoggerProvider(output));
        builder.Services.AddRsKafka(builder.Configuration);
        builder.Services.AddSingleton<ConcurrentBag<string>>();
        builder.Services.AddHostedService<CollectingConsumerService>();
        var host = builder.Build();

        await host.StartAsync();
        var connection = host.Services.GetRequiredService<KafkaConnection>();
        var received = host.Services.GetRequiredService<ConcurrentBag<string>>();

        // Only the lag reporter measures this group in this test, so the gauge leaves -1 only through it.
        KafkaMetrics.ConsumerLag.WithLabels("hosted-consumers", Topics.Curated).Set(-1);
        using (var producer = new KafkaStageProducer(connection, "hosted-test"))
        {
            var messages = Enumerable.Range(0, 100).Select(i => ((string?)$"k{i}", MessageCodec.Encode(new DeadLetter { Stage = "s", Reason = "r", Detail = $"{i}" }))).ToList();
            await producer.ProduceBatchAsync(Topics.Curated, messages);
        }

        await KafkaTestContext.WaitUntilAsync(() => received.Count >= 100, "the hosted consumer received every message");
        await KafkaTestContext.WaitUntilAsync(
            () => KafkaMetrics.ConsumerLag.WithLabels("hosted-consumers", Topics.Curated).Value == 0,
            "the lag reporter published the caught-up lag");
        await host.StopAsync();
        host.Dispose();

        Assert.Null(connection.EmbeddedCluster);
        Assert.Equal(100, received.Distinct().Count());
        Assert.True(KafkaMetrics.MessagesProduced.WithLabels("hosted-test", Topics.Curated).Value >= 100);
        Assert.True(KafkaMetrics.MessagesConsumed.WithLabels("hosted-consumer", Topics.Curated).Value >= 100);
    }

    private sealed class CollectingConsumerService(
        KafkaConnection connection,
        DeadLetterPublisher deadLetters,
        ConcurrentBag<string> received,
        ILogger<CollectingConsumerService> logger)
        : KafkaBatchConsumerService(connection, deadLetters, logger)
    {
        protected override string Stage => "hosted-consumer";

        protected override string GroupId => "hosted-consumers";

        protected override IReadOnlyCollection<string> SubscribedTopics => [Topics.Curated];

        protected override Task HandleBatchAsync(IReadOnlyList<ConsumeResult<string?, byte[]>> batch, CancellationToken cancellationToken)
        {
            foreach (var message in batch)
            {
                received.Add(message.Message.Key!);
            }

            MarkDurable(batch);
            return Task.CompletedTask;
        }
    }
}
