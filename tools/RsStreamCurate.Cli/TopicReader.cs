using Confluent.Kafka;
using RsStreamCurate.Kafka;

namespace RsStreamCurate.Cli;

/// <summary>Reads a topic from the beginning to its current end, outside any consumer group.</summary>
public static class TopicReader
{
    /// <summary>Returns the values of every message now in <paramref name="topic"/>, partition by partition.</summary>
    public static IReadOnlyList<byte[]> ReadAll(KafkaConnection connection, string topic, TimeSpan timeout)
    {
        var config = connection.CreateConsumerConfig($"rscurate-reader-{Guid.NewGuid():N}", "reader");
        config.EnablePartitionEof = true;
        config.EnableAutoCommit = false;

        using var consumer = new ConsumerBuilder<Ignore, byte[]>(config).Build();
        var metadata = GetPartitions(connection, topic, timeout);
        var values = new List<byte[]>();
        var deadline = DateTime.UtcNow + timeout;

        foreach (var partition in metadata)
        {
            var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), timeout);
            if (watermarks.High.Value <= watermarks.Low.Value)
            {
                continue;
            }

            consumer.Assign(new TopicPartitionOffset(topic, partition, watermarks.Low));
            while (DateTime.UtcNow < deadline)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result is null)
                {
                    continue;
                }

                if (result.IsPartitionEOF || result.Offset.Value >= watermarks.High.Value - 1)
                {
                    if (!result.IsPartitionEOF)
                    {
                        values.Add(result.Message.Value);
                    }

                    break;
                }

                values.Add(result.Message.Value);
            }

            consumer.Unassign();
        }

        return values;
    }

    private static IReadOnlyList<int> GetPartitions(KafkaConnection connection, string topic, TimeSpan timeout)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = connection.BootstrapServers }).Build();
        var metadata = admin.GetMetadata(topic, timeout);
        var topicMetadata = metadata.Topics.SingleOrDefault(t => t.Topic == topic);
        if (topicMetadata is null || topicMetadata.Error.IsError)
        {
            throw new InvalidOperationException($"Topic '{topic}' was not found on {connection.BootstrapServers}: {topicMetadata?.Error.Reason ?? "no metadata"}.");
        }

        return topicMetadata.Partitions.Select(p => p.PartitionId).Order().ToList();
    }
}
