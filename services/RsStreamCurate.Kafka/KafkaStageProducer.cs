using Confluent.Kafka;

namespace RsStreamCurate.Kafka;

/// <summary>
/// Producer of one stage: waits at its <see cref="BackpressureGate"/> (when it has one) before each message and
/// counts acknowledged messages in <c>rscurate_messages_produced_total{stage,topic}</c>.
/// </summary>
public sealed class KafkaStageProducer : IDisposable
{
    private readonly IProducer<string?, byte[]> _producer;
    private readonly BackpressureGate? _gate;
    private readonly TimeSpan _flushTimeout;
    private int _disposed;

    public KafkaStageProducer(KafkaConnection connection, string stage, BackpressureGate? gate = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stage);
        Stage = stage;
        _gate = gate;
        _flushTimeout = connection.Options.RequestTimeout;
        _producer = connection.CreateProducer(stage);
    }

    public string Stage { get; }

    /// <summary>
    /// Produces one message after the gate lets it through. Completes when the brokers acknowledged it (acks=all),
    /// and throws <see cref="ProduceException{TKey, TValue}"/> when delivery failed.
    /// </summary>
    public async Task<DeliveryResult<string?, byte[]>> ProduceAsync(string topic, string? key, byte[] value, CancellationToken cancellationToken = default)
    {
        if (_gate is not null)
        {
            await _gate.WaitAsync(1, cancellationToken).ConfigureAwait(false);
        }

        var result = await _producer.ProduceAsync(topic, new Message<string?, byte[]> { Key = key, Value = value }, cancellationToken).ConfigureAwait(false);
        KafkaMetrics.MessagesProduced.WithLabels(Stage, topic).Inc();
        return result;
    }

    /// <summary>
    /// Produces several messages after the gate lets them through and waits for all acknowledgements. Throws the
    /// first delivery failure after every message has been acknowledged or has failed.
    /// </summary>
    public async Task ProduceBatchAsync(string topic, IReadOnlyList<(string? Key, byte[] Value)> messages, CancellationToken cancellationToken = default)
    {
        if (messages.Count == 0)
        {
            return;
        }

        if (_gate is not null)
        {
            await _gate.WaitAsync(messages.Count, cancellationToken).ConfigureAwait(false);
        }

        var deliveries = new Task<DeliveryResult<string?, byte[]>>[messages.Count];
        for (int i = 0; i < messages.Count; i++)
        {
            var message = new Message<string?, byte[]> { Key = messages[i].Key, Value = messages[i].Value };
            deliveries[i] = _producer.ProduceAsync(topic, message, cancellationToken);
        }

        try
        {
            await Task.WhenAll(deliveries).ConfigureAwait(false);
        }
        finally
        {
            int delivered = deliveries.Count(delivery => delivery.IsCompletedSuccessfully);
            KafkaMetrics.MessagesProduced.WithLabels(Stage, topic).Inc(delivered);
        }
    }

    /// <summary>
    /// Waits for outstanding deliveries up to the request timeout, then releases the producer. Calling it again does
    /// nothing, because a hosted service registered through a factory is disposed by the container twice.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _producer.Flush(_flushTimeout);
        _producer.Dispose();
    }
}
