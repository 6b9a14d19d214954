using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace RsStreamCurate.Kafka;

/// <summary>Source-generated log messages of the Kafka connection, event ids 1100-1199.</summary>
internal static partial class KafkaLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Using Kafka cluster {BootstrapServers} with group protocol {GroupProtocol}")]
    public static partial void UsingCluster(ILogger logger, string bootstrapServers, string groupProtocol);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Using the embedded Kafka broker at {BootstrapServers}: data-plane topics have {Partitions} partitions, group protocol {GroupProtocol}")]
    public static partial void UsingEmbeddedBroker(ILogger logger, string bootstrapServers, int partitions, string groupProtocol);

    [LoggerMessage(EventId = 1102, Message = "librdkafka {ClientName} {Facility}: {LibrdkafkaMessage}")]
    public static partial void Librdkafka(ILogger logger, LogLevel level, string clientName, string facility, string librdkafkaMessage);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Kafka client {ClientName} reported {ErrorCode}: {Reason}")]
    public static partial void ClientError(ILogger logger, string clientName, ErrorCode errorCode, string reason);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Critical, Message = "Kafka client {ClientName} reported the fatal error {ErrorCode}: {Reason}")]
    public static partial void ClientFatalError(ILogger logger, string clientName, ErrorCode errorCode, string reason);
}
