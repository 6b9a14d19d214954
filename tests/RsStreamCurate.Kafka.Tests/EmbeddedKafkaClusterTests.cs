using Confluent.Kafka;
using RsStreamCurate.Kafka.Embedded;

namespace RsStreamCurate.Kafka.Tests;

public sealed class EmbeddedKafkaClusterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void Created_topic_has_requested_partitions()
    {
        using var cluster = new EmbeddedKafkaCluster();

        bool created = cluster.CreateTopic("partitions.test", 8);

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers }).Build();
        var metadata = admin.GetMetadata("partitions.test", Timeout);
        Assert.True(created);
        Assert.StartsWith("127.0.0.1:", cluster.BootstrapServers);
        var topic = Assert.Single(metadata.Topics);
        Assert.Equal(ErrorCode.NoError, topic.Error.Code);
        Assert.Equal(8, topic.Partitions.Count);
    }

    [Fact]
    public void Creating_existing_topic_returns_false()
    {
        using var cluster = new EmbeddedKafkaCluster();
        cluster.CreateTopic("twice", 2);

        Assert.False(cluster.CreateTopic("twice", 2));
    }

    [Fact]
    public void Round_trip_between_two_clients()
    {
        using var cluster = new EmbeddedKafkaCluster();
        cluster.CreateTopic("round.trip", 3);

        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers }).Build())
        {
            for (int i = 0; i < 30; i++)
            {
                producer.Produce("round.trip", new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
            }

            Assert.Equal(0, producer.Flush(Timeout));
        }

        var received = new Dictionary<string, string>();
        using (var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "round-trip",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            GroupProtocol = GroupProtocol.Consumer,
        }).Build())
        {
            consumer.Subscribe("round.trip");
            var deadline = DateTime.UtcNow + Timeout;
            while (received.Count < 30 && DateTime.UtcNow < deadline)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result is not null)
                {
                    received[result.Message.Key] = result.Message.Value;
                }
            }

            consumer.Close();
        }

        Assert.Equal(30, received.Count);
        Assert.Equal("v17", received["k17"]);
    }

    [Fact]
    public void Librdkafka_path_is_read_from_maps()
    {
        string[] maps =
        [
            "7f1c2a000000-7f1c2a021000 r--p 00000000 08:01 1234 /usr/lib/x86_64-linux-gnu/libc.so.6",
            "7f1c2b000000-7f1c2b100000 r-xp 00000000 08:01 5678 /opt/my app/runtimes/linux-x64/native/centos8-librdkafka.so",
        ];

        Assert.Equal("/opt/my app/runtimes/linux-x64/native/centos8-librdkafka.so", LibrdkafkaMockNative.FindLibrdkafkaPath(maps));
        Assert.Null(LibrdkafkaMockNative.FindLibrdkafkaPath(maps[..1]));
        Assert.Null(LibrdkafkaMockNative.FindLibrdkafkaPath(["7f1c2c000000-7f1c2c001000 rw-p 00000000 00:00 0 [heap]"]));
    }

    [Fact]
    public void Dispose_twice_is_harmless()
    {
        var cluster = new EmbeddedKafkaCluster(new EmbeddedKafkaClusterSettings { BrokerCount = 3 });
        cluster.Dispose();
        cluster.Dispose();

        Assert.Throws<ObjectDisposedException>(() => cluster.CreateTopic("after.dispose", 1));
    }
}
