using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RsStreamCurate.Contracts;
using RsStreamCurate.Kafka.Embedded;

namespace RsStreamCurate.Kafka;

/// <summary>
/// The process's view of the Kafka cluster: resolves the bootstrap servers, starting the embedded broker
/// on first use when none are configured, and builds client configurations with the project's defaults.
/// </summary>
/// <remarks>
/// Dispose every client built from this connection before the connection itself, because disposing it stops
/// the embedded broker. The DI container does so, since it disposes singletons in reverse creation order.
/// </remarks>
public sealed class KafkaConnection : IDisposable
{
    private readonly KafkaOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly ILogger _librdkafkaLogger;
    private readonly Lazy<string> _bootstrapServers;
    private EmbeddedKafkaCluster? _embedded;

    public KafkaConnection(IOptions<KafkaOptions> options, ILoggerFactory loggerFactory)
    {
        _options = options.Value;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<KafkaConnection>();
        _librdkafkaLogger = loggerFactory.CreateLogger("RsStreamCurate.Kafka.Librdkafka");
        _bootstrapServers = new Lazy<string>(ResolveBootstrapServers, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>True when no bootstrap servers are configured, so the embedded broker serves this process.</summary>
    public bool IsEmbedded => string.IsNullOrWhiteSpace(_options.BootstrapServers);

    /// <summary>Bootstrap servers of the configured cluster, or of the embedded broker, which this property starts.</summary>
    public string BootstrapServers => _bootstrapServers.Value;

    /// <summary>The embedded broker once <see cref="BootstrapServers"/> has started it, otherwise null.</summary>
    public EmbeddedKafkaCluster? EmbeddedCluster => _embedded;

    public KafkaOptions Options => _options;

    /// <summary>Consumer group protocol in effect: the configured one, or KIP-848 on the embedded broker and classic elsewhere.</summary>
    public GroupProtocol GroupProtocol => _options.GroupProtocol switch
    {
        "consumer" => GroupProtocol.Consumer,
        "classic" => GroupProtocol.Classic,
        _ => IsEmbedded ? GroupProtocol.Consumer : GroupProtocol.Classic,
    };

    /// <summary>Builds a producer configuration: acks=all with idempotence, so retries neither lose nor duplicate.</summary>
    public ProducerConfig CreateProducerConfig(string clientName)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = BootstrapServers,
            ClientId = ClientId(clientName),
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 5,
        };
        Apply(config, _options.Client);
        Apply(config, _options.Producer);
        return config;
    }

    /// <summary>
    /// Builds a consumer configuration for at-least-once delivery: offsets are stored only by the code that made
    /// the work durable (enable.auto.offset.store=false) and the stored offsets are committed every
    /// <see cref="KafkaOptions.CommitInterval"/>, on revocation and on close.
    /// </summary>
    public ConsumerConfig CreateConsumerConfig(string groupId, string clientName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        var config = new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            ClientId = ClientId(clientName),
            GroupId = groupId,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = true,
            EnableAutoOffsetStore = false,
            AutoCommitIntervalMs = (int)_options.CommitInterval.TotalMilliseconds,
            GroupProtocol = GroupProtocol,
        };
        Apply(config, _options.Client);
        Apply(config, _options.Consumer);
        return config;
    }

    /// <summary>Creates a producer with UTF-8 string keys and byte payloads whose log and errors go to the logger.</summary>
    public IProducer<string?, byte[]> CreateProducer(string clientName) =>
        new ProducerBuilder<string?, byte[]>(CreateProducerConfig(clientName))
            .SetKeySerializer(Serializers.Utf8)
            .SetValueSerializer(Serializers.ByteArray)
            .SetLogHandler((_, message) => LogLibrdkafka(message))
            .SetErrorHandler((_, error) => LogClientError(clientName, error))
            .Build();

    /// <summary>Creates a producer builder with raw byte keys and payloads, with logging wired.</summary>
    public ProducerBuilder<byte[]?, byte[]> CreateRawProducerBuilder(string clientName) =>
        new ProducerBuilder<byte[]?, byte[]>(CreateProducerConfig(clientName))
            .SetLogHandler((_, message) => LogLibrdkafka(message))
            .SetErrorHandler((_, error) => LogClientError(clientName, error));

    /// <summary>
    /// Creates a consumer builder with strict UTF-8 keys (a key that is not UTF-8 raises a ConsumeException that
    /// carries the raw record) and byte payloads, with logging wired. Rebalance handlers are left to the caller.
    /// </summary>
    public ConsumerBuilder<string?, byte[]> CreateConsumerBuilder(string groupId, string clientName) =>
        new ConsumerBuilder<string?, byte[]>(CreateConsumerConfig(groupId, clientName))
            .SetKeyDeserializer(StrictUtf8Deserializer.Instance)
            .SetValueDeserializer(Deserializers.ByteArray)
            .SetLogHandler((_, message) => LogLibrdkafka(message))
            .SetErrorHandler((_, error) => LogClientError(clientName, error));

    /// <summary>Stops the embedded broker, if this connection started one.</summary>
    public void Dispose()
    {
        _embedded?.Dispose();
        _embedded = null;
    }

    private string ResolveBootstrapServers()
    {
        if (!IsEmbedded)
        {
            KafkaLog.UsingCluster(_logger, _options.BootstrapServers!, GroupProtocol.ToString());
            return _options.BootstrapServers!;
        }

        var cluster = new EmbeddedKafkaCluster(
            new EmbeddedKafkaClusterSettings { BrokerCount = _options.EmbeddedBrokerCount },
            _loggerFactory.CreateLogger<EmbeddedKafkaCluster>());
        try
        {
            foreach (string topic in Topics.All)
            {
                cluster.CreateTopic(topic, _options.Partitions);
            }
        }
        catch
        {
            cluster.Dispose();
            throw;
        }

        _embedded = cluster;
        KafkaLog.UsingEmbeddedBroker(_logger, cluster.BootstrapServers, _options.Partitions, GroupProtocol.ToString());
        return cluster.BootstrapServers;
    }

    private string ClientId(string clientName) => $"{_options.ClientIdPrefix}-{clientName}";

    private static void Apply(ClientConfig config, Dictionary<string, string> properties)
    {
        foreach (var (key, value) in properties)
        {
            config.Set(key, value);
        }
    }

    private void LogLibrdkafka(LogMessage message)
    {
        var level = (int)message.Level switch
        {
            <= 3 => LogLevel.Error,
            4 => LogLevel.Warning,
            5 => LogLevel.Information,
            6 => LogLevel.Debug,
            _ => LogLevel.Trace,
        };
        KafkaLog.Librdkafka(_librdkafkaLogger, level, message.Name, message.Facility, message.Message);
    }

    private void LogClientError(string clientName, Error error)
    {
        if (error.IsFatal)
        {
            KafkaLog.ClientFatalError(_logger, clientName, error.Code, error.Reason);
        }
        else
        {
            KafkaLog.ClientError(_logger, clientName, error.Code, error.Reason);
        }
    }
}

/// <summary>UTF-8 key deserializer that throws on invalid bytes instead of replacing them.</summary>
internal sealed class StrictUtf8Deserializer : IDeserializer<string?>
{
    public static readonly StrictUtf8Deserializer Instance = new();

    private static readonly System.Text.UTF8Encoding Strict = new(false, true);

    public string? Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
        isNull ? null : Strict.GetString(data);
}
