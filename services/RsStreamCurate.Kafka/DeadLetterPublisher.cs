using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Contracts;

namespace RsStreamCurate.Kafka;

/// <summary>Dead-letter reasons of the consume loop itself, next to the stage reasons in <see cref="DeadLetterReasons"/>.</summary>
public static class KafkaDeadLetterReasons
{
    /// <summary>The stage's handler threw an exception that marks the message as unprocessable.</summary>
    public const string HandlerFailed = "handler_failed";
}

/// <summary>
/// Publishes <see cref="DeadLetter"/> records to <see cref="Topics.DeadLetter"/>, keyed by the source message's key.
/// A failed publication does not throw: it is logged and counted, and the call returns false. Only cancellation of
/// the caller's token raises <see cref="OperationCanceledException"/>.
/// </summary>
public sealed partial class DeadLetterPublisher : IDisposable
{
    private readonly KafkaConnection _connection;
    private readonly ILogger<DeadLetterPublisher> _logger;
    private readonly TimeProvider _time;
    private readonly Lazy<IProducer<byte[]?, byte[]>> _producer;

    public DeadLetterPublisher(KafkaConnection connection, ILogger<DeadLetterPublisher> logger, TimeProvider? time = null)
    {
        _connection = connection;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _producer = new Lazy<IProducer<byte[]?, byte[]>>(
            () => _connection.CreateRawProducerBuilder("deadletter").Build(),
            LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Publishes a dead letter for a consumed message. Returns true once the brokers acknowledged it.</summary>
    public Task<bool> PublishAsync(string stage, string reason, string detail, ConsumeResult<string?, byte[]> source, CancellationToken cancellationToken = default)
    {
        byte[]? key = source.Message.Key is null ? null : Encoding.UTF8.GetBytes(source.Message.Key);
        return PublishAsync(stage, reason, detail, key, source.Message.Value, source.TopicPartitionOffset, cancellationToken);
    }

    /// <summary>
    /// Publishes a dead letter for a payload from any source. <paramref name="source"/> is null when the payload did
    /// not come from Kafka (for example a manifest line). Returns true once the brokers acknowledged it.
    /// </summary>
    public async Task<bool> PublishAsync(
        string stage,
        string reason,
        string detail,
        byte[]? key,
        byte[]? payload,
        TopicPartitionOffset? source,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stage);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);

        (string Text, bool IsBase64)? described = payload is null ? null : MessageCodec.DescribePayload(payload);
        var deadLetter = new DeadLetter
        {
            Stage = stage,
            Reason = reason,
            Detail = detail,
            SourceTopic = source?.Topic,
            SourcePartition = source?.Partition.Value,
            SourceOffset = source?.Offset.Value,
            OriginalPayload = described?.Text,
            PayloadIsBase64 = described?.IsBase64 ?? false,
            OccurredAt = _time.GetUtcNow(),
        };

        if (source is null)
        {
            LogDeadLetterOutsideKafka(stage, reason, detail);
        }
        else
        {
            LogDeadLetter(stage, reason, detail, source.Topic, source.Partition.Value, source.Offset.Value);
        }

        try
        {
            var message = new Message<byte[]?, byte[]> { Key = key, Value = MessageCodec.Encode(deadLetter) };
            await _producer.Value.ProduceAsync(Topics.DeadLetter, message, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogPublishCancelled(stage, reason, source?.Topic, source?.Partition.Value, source?.Offset.Value);
            KafkaMetrics.DeadLetterPublishFailures.WithLabels(stage).Inc();
            return false;
        }
        catch (Exception ex)
        {
            // Deliberately broad: a caller decides from the result whether its source message is durable, and
            // any failure here (no broker, disposed producer, embedded broker unavailable) means it is not.
            LogPublishFailed(ex, stage, reason, source?.Topic, source?.Partition.Value, source?.Offset.Value);
            KafkaMetrics.DeadLetterPublishFailures.WithLabels(stage).Inc();
            return false;
        }

        KafkaMetrics.DeadLetters.WithLabels(stage, reason).Inc();
        return true;
    }

    public void Dispose()
    {
        if (_producer.IsValueCreated)
        {
            _producer.Value.Flush(_connection.Options.RequestTimeout);
            _producer.Value.Dispose();
        }
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "Dead-lettering a message in stage {Stage} with reason {Reason}: {Detail} (source {SourceTopic} [{SourcePartition}] @{SourceOffset})")]
    private partial void LogDeadLetter(string stage, string reason, string detail, string sourceTopic, int sourcePartition, long sourceOffset);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Dead-lettering a payload in stage {Stage} with reason {Reason}: {Detail} (not read from Kafka)")]
    private partial void LogDeadLetterOutsideKafka(string stage, string reason, string detail);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Error, Message = "Publishing a dead letter of stage {Stage} with reason {Reason} failed, so the source message {SourceTopic} [{SourcePartition}] @{SourceOffset} stays uncommitted")]
    private partial void LogPublishFailed(Exception exception, string stage, string reason, string? sourceTopic, int? sourcePartition, long? sourceOffset);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Publishing a dead letter of stage {Stage} with reason {Reason} was cancelled, so the source message {SourceTopic} [{SourcePartition}] @{SourceOffset} stays uncommitted")]
    private partial void LogPublishCancelled(string stage, string reason, string? sourceTopic, int? sourcePartition, long? sourceOffset);
}
