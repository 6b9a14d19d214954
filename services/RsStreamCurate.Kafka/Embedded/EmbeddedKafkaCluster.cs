using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RsStreamCurate.Kafka.Embedded;

/// <summary>Settings of an <see cref="EmbeddedKafkaCluster"/>.</summary>
public sealed record EmbeddedKafkaClusterSettings
{
    /// <summary>Number of mock brokers. The partitions of each topic are spread over them.</summary>
    public int BrokerCount { get; init; } = 1;

    /// <summary>
    /// Broker setting group.initial.rebalance.delay.ms. The mock's default of 3 s delays every first join
    /// of a classic-protocol group.
    /// </summary>
    public TimeSpan InitialRebalanceDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Broker setting group.consumer.heartbeat.interval.ms for KIP-848 groups (group.protocol=consumer).</summary>
    public TimeSpan ConsumerGroupHeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Broker setting group.consumer.session.timeout.ms for KIP-848 groups. The partitions of a member that
    /// died without leaving the group stay assigned to it for this long.
    /// </summary>
    public TimeSpan ConsumerGroupSessionTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// An in-process Kafka-protocol broker: librdkafka's mock cluster, listening on a random 127.0.0.1 port.
/// Any Kafka client, in this process or another, can use <see cref="BootstrapServers"/>.
/// </summary>
/// <remarks>
/// The mock keeps only about 5 MiB per partition and drops older records silently, does not enforce
/// transactions, and does not implement the Admin API for topics, so create topics with
/// <see cref="CreateTopic"/>. Callers must dispose their producers and consumers before disposing the
/// cluster, because clients that lose their broker retry and log connection errors until disposed.
/// </remarks>
public sealed unsafe class EmbeddedKafkaCluster : IDisposable
{
    private const int ProducerType = 0;
    private const int TopicAlreadyExists = 36;

    private readonly LibrdkafkaMockNative _native;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private GCHandle _loggerHandle;
    private nint _owner;
    private nint _cluster;

    /// <summary>
    /// Starts the mock cluster. Throws <see cref="EmbeddedKafkaUnavailableException"/> when librdkafka or
    /// its mock API cannot be loaded, and <see cref="InvalidOperationException"/> when the cluster fails to start.
    /// </summary>
    public EmbeddedKafkaCluster(EmbeddedKafkaClusterSettings? settings = null, ILogger<EmbeddedKafkaCluster>? logger = null)
    {
        settings ??= new EmbeddedKafkaClusterSettings();
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.BrokerCount, 1, nameof(settings.BrokerCount));

        _logger = logger ?? NullLogger<EmbeddedKafkaCluster>.Instance;
        _native = LibrdkafkaMockNative.Instance;
        BrokerCount = settings.BrokerCount;

        _loggerHandle = GCHandle.Alloc(_logger);
        try
        {
            _owner = CreateOwnerHandle();
            _cluster = _native.MockClusterNew(_owner, settings.BrokerCount);
            if (_cluster == 0)
            {
                throw new InvalidOperationException(
                    $"rd_kafka_mock_cluster_new returned no cluster for {settings.BrokerCount} broker(s); see the librdkafka log lines for the cause.");
            }

            _native.MockGroupInitialRebalanceDelayMs(_cluster, ToMilliseconds(settings.InitialRebalanceDelay));
            _native.MockSetGroupConsumerHeartbeatIntervalMs(_cluster, ToMilliseconds(settings.ConsumerGroupHeartbeatInterval));
            _native.MockSetGroupConsumerSessionTimeoutMs(_cluster, ToMilliseconds(settings.ConsumerGroupSessionTimeout));
            BootstrapServers = Marshal.PtrToStringUTF8((nint)_native.MockClusterBootstraps(_cluster))
                ?? throw new InvalidOperationException("rd_kafka_mock_cluster_bootstraps returned no address.");
        }
        catch
        {
            Dispose();
            throw;
        }

        EmbeddedKafkaLog.ClusterStarted(_logger, BootstrapServers, BrokerCount, _native.LibraryPath);
    }

    /// <summary>Comma-separated host:port list of the mock brokers, all on 127.0.0.1.</summary>
    public string BootstrapServers { get; } = "";

    public int BrokerCount { get; }

    /// <summary>
    /// Creates a topic with replication factor 1. Returns false when the topic already exists, in which case
    /// its partition count is left as it was.
    /// </summary>
    public bool CreateTopic(string name, int partitions)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);

        byte[] nameUtf8 = NullTerminatedUtf8(name);
        int error;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_cluster == 0, this);
            fixed (byte* namePointer = nameUtf8)
            {
                error = _native.MockTopicCreate(_cluster, namePointer, partitions, 1);
            }
        }

        if (error == TopicAlreadyExists)
        {
            return false;
        }

        if (error != 0)
        {
            throw new InvalidOperationException($"Creating topic '{name}' with {partitions} partitions on the embedded broker failed: {_native.DescribeError(error)}.");
        }

        EmbeddedKafkaLog.TopicCreated(_logger, name, partitions);
        return true;
    }

    /// <summary>Stops the brokers, then destroys the librdkafka handle that owns them.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster != 0)
            {
                _native.MockClusterDestroy(_cluster);
                _cluster = 0;
                EmbeddedKafkaLog.ClusterStopped(_logger, BootstrapServers);
            }

            if (_owner != 0)
            {
                _native.Destroy(_owner);
                _owner = 0;
            }

            // The log callback can run until rd_kafka_destroy returns, so the logger is released only now.
            if (_loggerHandle.IsAllocated)
            {
                _loggerHandle.Free();
            }
        }
    }

    private nint CreateOwnerHandle()
    {
        nint conf = _native.ConfNew();
        SetConf(conf, "client.id", "rscurate-embedded-broker");
        _native.ConfSetOpaque(conf, GCHandle.ToIntPtr(_loggerHandle));
        _native.ConfSetLogCallback(conf, &OnLibrdkafkaLog);

        const int errorLength = 512;
        byte* error = stackalloc byte[errorLength];
        nint handle = _native.New(ProducerType, conf, error, errorLength);
        if (handle == 0)
        {
            // rd_kafka_new takes ownership of the configuration only when it succeeds.
            _native.ConfDestroy(conf);
            throw new InvalidOperationException($"rd_kafka_new failed for the embedded broker: {Marshal.PtrToStringUTF8((nint)error)}");
        }

        return handle;
    }

    private void SetConf(nint conf, string name, string value)
    {
        const int errorLength = 512;
        byte* error = stackalloc byte[errorLength];
        byte[] nameUtf8 = NullTerminatedUtf8(name);
        byte[] valueUtf8 = NullTerminatedUtf8(value);
        int result;
        fixed (byte* namePointer = nameUtf8)
        fixed (byte* valuePointer = valueUtf8)
        {
            result = _native.ConfSet(conf, namePointer, valuePointer, error, errorLength);
        }

        if (result != 0)
        {
            _native.ConfDestroy(conf);
            throw new InvalidOperationException($"Setting {name}={value} for the embedded broker failed: {Marshal.PtrToStringUTF8((nint)error)}");
        }
    }

    private static int ToMilliseconds(TimeSpan value) => checked((int)Math.Max(0, value.TotalMilliseconds));

    private static byte[] NullTerminatedUtf8(string value) => Encoding.UTF8.GetBytes(value + "\0");

    /// <summary>Forwards librdkafka's log lines (syslog levels) from the broker threads to the cluster's logger.</summary>
    [UnmanagedCallersOnly]
    private static void OnLibrdkafkaLog(nint handle, int level, byte* facility, byte* message)
    {
        try
        {
            nint opaque = LibrdkafkaMockNative.Instance.Opaque(handle);
            if (opaque == 0 || GCHandle.FromIntPtr(opaque).Target is not ILogger logger)
            {
                return;
            }

            // Notices go to Debug: the broker's own handle has no bootstrap.servers and warns about it at start.
            LogLevel logLevel = level switch
            {
                <= 3 => LogLevel.Error,
                4 => LogLevel.Warning,
                5 or 6 => LogLevel.Debug,
                _ => LogLevel.Trace,
            };
            EmbeddedKafkaLog.Librdkafka(logger, logLevel, Marshal.PtrToStringUTF8((nint)facility) ?? "", Marshal.PtrToStringUTF8((nint)message) ?? "");
        }
        catch (Exception)
        {
            // An exception must not cross into native code, so a log line that fails to format is dropped.
        }
    }
}

internal static partial class EmbeddedKafkaLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Embedded Kafka broker started at {BootstrapServers} with {BrokerCount} broker(s), librdkafka from {LibraryPath}")]
    public static partial void ClusterStarted(ILogger logger, string bootstrapServers, int brokerCount, string libraryPath);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Embedded Kafka broker at {BootstrapServers} stopped")]
    public static partial void ClusterStopped(ILogger logger, string bootstrapServers);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Created topic {Topic} with {Partitions} partitions on the embedded broker")]
    public static partial void TopicCreated(ILogger logger, string topic, int partitions);

    [LoggerMessage(EventId = 1003, Message = "librdkafka {Facility}: {LibrdkafkaMessage}")]
    public static partial void Librdkafka(ILogger logger, LogLevel level, string facility, string librdkafkaMessage);
}
