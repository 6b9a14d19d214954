using System.ComponentModel.DataAnnotations;

namespace RsStreamCurate.Kafka;

/// <summary>Kafka settings of every service, bound from the configuration section <c>Kafka</c>.</summary>
public sealed class KafkaOptions
{
    public const string SectionName = "Kafka";

    /// <summary>Comma-separated host:port list of a real cluster. Null or empty starts the embedded broker in-process.</summary>
    public string? BootstrapServers { get; set; }

    /// <summary>Partition count of each data-plane topic that is created on the embedded broker.</summary>
    [Range(1, 1000)]
    public int Partitions { get; set; } = 8;

    /// <summary>
    /// Number of brokers of the embedded cluster. One broker is enough because the mock does not replicate,
    /// and each extra broker adds threads and connections.
    /// </summary>
    [Range(1, 16)]
    public int EmbeddedBrokerCount { get; set; } = 1;

    /// <summary>Prefix of every client.id, followed by the client's name (for example <c>rscurate-scoring</c>).</summary>
    [Required(AllowEmptyStrings = false)]
    public string ClientIdPrefix { get; set; } = "rscurate";

    /// <summary>
    /// Backpressure threshold in messages: producers wait while the downstream group's lag on their topic is
    /// above it. It must exceed the largest amount of work a consumer keeps pending, such as an open curation window.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxConsumerLag { get; set; } = 20_000;

    /// <summary>Maximum number of messages handed to a batch handler at once.</summary>
    [Range(1, 100_000)]
    public int ConsumeBatchSize { get; set; } = 500;

    /// <summary>Maximum time a consumer waits to fill a batch before it hands over what it has.</summary>
    public TimeSpan ConsumeBatchMaxWait { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Interval of the consumer's tick callback, which runs also when no messages arrive.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Interval at which stored (durable) offsets are committed (auto.commit.interval.ms).</summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Consumer group protocol: <c>consumer</c> (KIP-848, needs Kafka 4.0 or later) or <c>classic</c>.
    /// Null selects <c>consumer</c> on the embedded broker and <c>classic</c> on a real cluster.
    /// </summary>
    public string? GroupProtocol { get; set; }

    /// <summary>Number of retries of a batch whose handler failed with a transient error before the consumer stops.</summary>
    [Range(0, 100)]
    public int HandlerMaxRetries { get; set; } = 3;

    /// <summary>Delay before the first handler retry, doubled for each further retry.</summary>
    public TimeSpan HandlerRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a measured consumer lag is reused before the brokers are asked again.</summary>
    public TimeSpan LagCacheDuration { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Timeout of each broker request that the lag monitor and shutdown make.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Consumer groups whose lag <see cref="ConsumerLagReporter"/> publishes every <see cref="LagReportInterval"/>:
    /// group id to a comma-separated topic list, for example <c>scorers</c> to <c>rs.candidates</c>.
    /// </summary>
    public Dictionary<string, string> MonitoredGroups { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Interval at which the lag of <see cref="MonitoredGroups"/> is measured and published.</summary>
    public TimeSpan LagReportInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Raw librdkafka properties for every client, applied after the defaults (for example security.protocol, sasl.*).</summary>
    public Dictionary<string, string> Client { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Raw librdkafka properties for producers only, applied after <see cref="Client"/>.</summary>
    public Dictionary<string, string> Producer { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Raw librdkafka properties for consumers only, applied after <see cref="Client"/>.</summary>
    public Dictionary<string, string> Consumer { get; set; } = new(StringComparer.Ordinal);
}
