using System.Diagnostics;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Contracts;

namespace RsStreamCurate.Kafka;

/// <summary>
/// At-least-once Kafka consume loop for one stage. It collects batches (at most
/// <see cref="KafkaOptions.ConsumeBatchSize"/> messages or <see cref="KafkaOptions.ConsumeBatchMaxWait"/>),
/// hands them to <see cref="HandleBatchAsync"/>, and stores a partition's offset only up to the first message
/// whose work the subclass has not marked durable with <see cref="MarkDurable(ConsumeResult{string, byte[]})"/>.
/// </summary>
/// <remarks>
/// <para>A message may stay pending across batches, for example while a curation window is open. Its partition
/// is then committed only up to it until it is marked durable, so pending work is redelivered after a
/// revocation or a crash. Handlers must therefore treat messages idempotently.</para>
/// <para>When a handler throws an exception that <see cref="IsPoisonMessage"/> accepts, the batch's still-pending
/// messages are handled again one at a time, and each one that fails alone is dead-lettered. Other exceptions
/// are retried with backoff <see cref="KafkaOptions.HandlerMaxRetries"/> times. After that, or on a fatal
/// Kafka error, the loop ends with the exception, which stops the host by default.</para>
/// <para>The loop runs on its own long-running thread. Handlers, ticks and rebalance callbacks run on it one at a
/// time, but <see cref="MarkDurable(ConsumeResult{string, byte[]})"/> may be called from any thread.</para>
/// </remarks>
public abstract partial class KafkaBatchConsumerService : BackgroundService
{
    private readonly KafkaConnection _connection;
    private readonly DeadLetterPublisher _deadLetters;
    private readonly ILogger _logger;
    private readonly Lock _offsetsLock = new();
    private readonly OffsetTracker _offsets = new();
    private IConsumer<string?, byte[]>? _consumer;

    protected KafkaBatchConsumerService(KafkaConnection connection, DeadLetterPublisher deadLetters, ILogger logger)
    {
        _connection = connection;
        _deadLetters = deadLetters;
        _logger = logger;
    }

    /// <summary>Stage name for metrics, dead letters and the client id, for example <c>scoring</c>.</summary>
    protected abstract string Stage { get; }

    /// <summary>Consumer group id, shared by every instance of the stage.</summary>
    protected abstract string GroupId { get; }

    /// <summary>Topics to subscribe to.</summary>
    protected abstract IReadOnlyCollection<string> SubscribedTopics { get; }

    protected KafkaOptions Options => _connection.Options;

    /// <summary>Number of consumed messages whose work is not durable yet.</summary>
    public int PendingCount
    {
        get
        {
            lock (_offsetsLock)
            {
                return _offsets.PendingCount;
            }
        }
    }

    /// <summary>
    /// Handles a batch of messages in consumption order. Mark each message durable once its result is durable,
    /// either here or later (from a tick or another thread). The batch may contain one message only when
    /// messages are being isolated after a failure.
    /// </summary>
    protected abstract Task HandleBatchAsync(IReadOnlyList<ConsumeResult<string?, byte[]>> batch, CancellationToken cancellationToken);

    /// <summary>
    /// Runs every <see cref="KafkaOptions.TickInterval"/>, also while no messages arrive (for example to close a window
    /// by age). An exception thrown here ends the consume loop, and the pending work is redelivered after a restart.
    /// </summary>
    protected virtual Task OnTickAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs once before the consumer closes, so the subclass can still make work durable and mark it.</summary>
    protected virtual Task OnStoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs after partitions were assigned to this member.</summary>
    protected virtual void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions)
    {
    }

    /// <summary>
    /// Runs when partitions are revoked or lost, before their pending work is forgotten. Work of a revoked
    /// partition that is made durable and marked here is committed with the revocation. Everything else is
    /// redelivered to the new owner, so drop any state that contains it. Nothing can be committed for lost partitions.
    /// </summary>
    protected virtual void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions, bool lost)
    {
    }

    /// <summary>
    /// Returns true when <paramref name="exception"/> means the message itself cannot be processed, so it is
    /// dead-lettered instead of retried. By default these are decode, JSON, format and argument errors.
    /// </summary>
    protected virtual bool IsPoisonMessage(Exception exception) =>
        exception is MessageDecodeException or JsonException or FormatException or InvalidDataException or ArgumentException or OverflowException;

    /// <summary>Marks the work of one consumed message as durable, which lets its offset be committed.</summary>
    protected void MarkDurable(ConsumeResult<string?, byte[]> message) => MarkDurable(message.TopicPartitionOffset);

    /// <summary>Marks the work of several consumed messages as durable.</summary>
    protected void MarkDurable(IEnumerable<ConsumeResult<string?, byte[]>> messages)
    {
        foreach (var message in messages)
        {
            MarkDurable(message.TopicPartitionOffset);
        }
    }

    /// <summary>
    /// Publishes a dead letter for a message and marks it durable once the brokers acknowledged the dead letter.
    /// Returns false when publishing failed, and the message then stays pending.
    /// </summary>
    protected async Task<bool> DeadLetterAsync(ConsumeResult<string?, byte[]> message, string reason, string detail, CancellationToken cancellationToken)
    {
        bool published = await _deadLetters.PublishAsync(Stage, reason, detail, message, cancellationToken).ConfigureAwait(false);
        if (published)
        {
            MarkDurable(message.TopicPartitionOffset);
        }

        return published;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => RunConsumeLoop(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void MarkDurable(TopicPartitionOffset consumed)
    {
        lock (_offsetsLock)
        {
            var toStore = _offsets.Complete(consumed);
            if (toStore is null || _consumer is null)
            {
                return;
            }

            try
            {
                _consumer.StoreOffset(toStore);
            }
            catch (KafkaException ex) when (ex.Error.Code == ErrorCode.Local_State)
            {
                // The partition was revoked between the handler's work and this call, so the new owner redoes the work.
                LogStoreSkipped(Stage, toStore.Topic, toStore.Partition.Value, toStore.Offset.Value);
            }
        }
    }

    private void RunConsumeLoop(CancellationToken stoppingToken)
    {
        using var consumer = _connection.CreateConsumerBuilder(GroupId, Stage)
            .SetPartitionsAssignedHandler((_, partitions) => HandleAssigned(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => HandleRevoked(partitions.Select(p => p.TopicPartition).ToList(), lost: false))
            .SetPartitionsLostHandler((_, partitions) => HandleRevoked(partitions.Select(p => p.TopicPartition).ToList(), lost: true))
            .Build();
        lock (_offsetsLock)
        {
            _consumer = consumer;
        }

        consumer.Subscribe(SubscribedTopics);
        LogStarted(Stage, GroupId, string.Join(",", SubscribedTopics), _connection.GroupProtocol.ToString());

        try
        {
            long nextTick = NextTickTimestamp();
            while (!stoppingToken.IsCancellationRequested)
            {
                var batch = CollectBatch(consumer, stoppingToken);
                if (batch.Count > 0 && !stoppingToken.IsCancellationRequested)
                {
                    CountConsumed(batch);
                    HandleWithRecovery(batch, stoppingToken);
                }

                if (Stopwatch.GetElapsedTime(nextTick) >= TimeSpan.Zero && !stoppingToken.IsCancellationRequested)
                {
                    OnTickAsync(stoppingToken).GetAwaiter().GetResult();
                    nextTick = NextTickTimestamp();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown was requested. The pending work stays uncommitted and is redelivered.
        }
        catch (Exception ex)
        {
            LogLoopFailed(ex, Stage, GroupId);
            CloseConsumer(consumer, runStoppingHook: false);
            throw;
        }

        CloseConsumer(consumer, runStoppingHook: true);
    }

    private long NextTickTimestamp() => Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * Options.TickInterval.TotalSeconds);

    private List<ConsumeResult<string?, byte[]>> CollectBatch(IConsumer<string?, byte[]> consumer, CancellationToken stoppingToken)
    {
        var batch = new List<ConsumeResult<string?, byte[]>>(Math.Min(Options.ConsumeBatchSize, 1024));
        long start = Stopwatch.GetTimestamp();
        while (batch.Count < Options.ConsumeBatchSize && !stoppingToken.IsCancellationRequested)
        {
            var remaining = Options.ConsumeBatchMaxWait - Stopwatch.GetElapsedTime(start);
            if (remaining <= TimeSpan.Zero)
            {
                break;
            }

            ConsumeResult<string?, byte[]>? result;
            try
            {
                result = consumer.Consume(remaining);
            }
            catch (ConsumeException ex) when (!ex.Error.IsFatal)
            {
                HandleConsumeError(ex, stoppingToken);
                continue;
            }

            if (result is null)
            {
                break;
            }

            if (result.IsPartitionEOF)
            {
                continue;
            }

            lock (_offsetsLock)
            {
                _offsets.Track(result.TopicPartitionOffset);
            }

            batch.Add(result);
        }

        return batch;
    }

    /// <summary>
    /// Logs a non-fatal consume error. When it carries a record (a key that is not UTF-8), the record is
    /// dead-lettered and, once that is acknowledged, counted as durable so its partition can move on.
    /// </summary>
    private void HandleConsumeError(ConsumeException exception, CancellationToken stoppingToken)
    {
        KafkaMetrics.ConsumeErrors.WithLabels(Stage).Inc();
        var record = exception.ConsumerRecord;
        LogConsumeError(exception, Stage, exception.Error.Code, record?.Topic, record?.Partition.Value, record?.Offset.Value);
        if (record?.Message?.Value is null)
        {
            return;
        }

        lock (_offsetsLock)
        {
            _offsets.Track(record.TopicPartitionOffset);
        }

        string detail = $"The consumer could not deserialize the record: {exception.Error.Reason} ({exception.InnerException?.Message})";
        bool published = _deadLetters
            .PublishAsync(Stage, DeadLetterReasons.UnparseableMessage, detail, record.Message.Key, record.Message.Value, record.TopicPartitionOffset, stoppingToken)
            .GetAwaiter().GetResult();
        if (published)
        {
            MarkDurable(record.TopicPartitionOffset);
        }
    }

    private void HandleWithRecovery(IReadOnlyList<ConsumeResult<string?, byte[]>> batch, CancellationToken stoppingToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                HandleBatchAsync(batch, stoppingToken).GetAwaiter().GetResult();
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                if (IsPoisonMessage(ex))
                {
                    if (batch.Count == 1)
                    {
                        DeadLetterFailedMessage(batch[0], ex, stoppingToken);
                    }
                    else
                    {
                        LogIsolating(ex, Stage, batch.Count);
                        IsolateFailedMessages(batch, stoppingToken);
                    }

                    return;
                }

                if (attempt >= Options.HandlerMaxRetries)
                {
                    LogRetriesExhausted(ex, Stage, batch.Count, attempt);
                    throw;
                }

                var delay = Options.HandlerRetryDelay * Math.Pow(2, attempt);
                KafkaMetrics.HandlerRetries.WithLabels(Stage).Inc();
                LogRetrying(ex, Stage, batch.Count, attempt + 1, Options.HandlerMaxRetries, delay.TotalSeconds);
                stoppingToken.WaitHandle.WaitOne(delay);
                stoppingToken.ThrowIfCancellationRequested();
            }
        }
    }

    private void IsolateFailedMessages(IReadOnlyList<ConsumeResult<string?, byte[]>> batch, CancellationToken stoppingToken)
    {
        foreach (var message in batch)
        {
            bool pending;
            lock (_offsetsLock)
            {
                pending = _offsets.IsPending(message.TopicPartitionOffset);
            }

            if (pending)
            {
                HandleWithRecovery([message], stoppingToken);
            }
        }
    }

    private void DeadLetterFailedMessage(ConsumeResult<string?, byte[]> message, Exception exception, CancellationToken stoppingToken)
    {
        string reason = exception is MessageDecodeException decode ? decode.Reason : KafkaDeadLetterReasons.HandlerFailed;
        string detail = $"{exception.GetType().Name}: {exception.Message}";
        DeadLetterAsync(message, reason, detail, stoppingToken).GetAwaiter().GetResult();
    }

    private void HandleAssigned(List<TopicPartition> partitions)
    {
        lock (_offsetsLock)
        {
            foreach (var partition in partitions)
            {
                _offsets.Assign(partition);
            }
        }

        LogAssigned(Stage, partitions.Count, string.Join(",", partitions));
        OnPartitionsAssigned(partitions);
    }

    private void HandleRevoked(List<TopicPartition> partitions, bool lost)
    {
        try
        {
            OnPartitionsRevoked(partitions, lost);
        }
        catch (Exception ex)
        {
            // The revocation goes on regardless, and the work that was not marked is redelivered.
            LogRevokeHookFailed(ex, Stage);
        }

        int dropped = 0;
        lock (_offsetsLock)
        {
            foreach (var partition in partitions)
            {
                dropped += _offsets.Remove(partition);
            }
        }

        LogRevoked(Stage, lost ? "lost" : "revoked", partitions.Count, string.Join(",", partitions), dropped);
    }

    private void CloseConsumer(IConsumer<string?, byte[]> consumer, bool runStoppingHook)
    {
        if (runStoppingHook)
        {
            using var timeout = new CancellationTokenSource(Options.RequestTimeout);
            try
            {
                OnStoppingAsync(timeout.Token).GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                LogStoppingHookFailed(ex, Stage);
            }
        }

        CommitStoredOffsets(consumer);
        try
        {
            // Leaving the group lets the partitions move to other members at once.
            consumer.Close();
        }
        catch (KafkaException ex)
        {
            LogCloseFailed(ex, Stage);
        }

        lock (_offsetsLock)
        {
            _consumer = null;
            LogStopped(Stage, GroupId, _offsets.PendingCount);
        }
    }

    /// <summary>
    /// Commits the stored offsets synchronously before closing. Close commits them too while auto commit is on,
    /// but it reports a failed commit only through the client's log, whereas this logs it as this stage's error.
    /// </summary>
    private void CommitStoredOffsets(IConsumer<string?, byte[]> consumer)
    {
        try
        {
            var committed = consumer.Commit();
            LogCommitted(Stage, committed.Count);
        }
        catch (KafkaException ex) when (ex.Error.Code == ErrorCode.Local_NoOffset)
        {
            // Nothing was stored since the last commit.
        }
        catch (KafkaException ex)
        {
            LogCommitFailed(ex, Stage);
        }
    }

    private void CountConsumed(IReadOnlyList<ConsumeResult<string?, byte[]>> batch)
    {
        foreach (var group in batch.GroupBy(message => message.Topic))
        {
            KafkaMetrics.MessagesConsumed.WithLabels(Stage, group.Key).Inc(group.Count());
        }
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "Consumer of stage {Stage} started in group {GroupId} on topics {Topics} with group protocol {GroupProtocol}")]
    private partial void LogStarted(string stage, string groupId, string topics, string groupProtocol);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Consumer of stage {Stage} in group {GroupId} stopped with {PendingCount} messages not durable, which will be redelivered")]
    private partial void LogStopped(string stage, string groupId, int pendingCount);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Consumer of stage {Stage} was assigned {Count} partitions: {Partitions}")]
    private partial void LogAssigned(string stage, int count, string partitions);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Information, Message = "Consumer of stage {Stage} had {Count} partitions {Kind}: {Partitions}, and {DroppedCount} pending messages will be redelivered to the new owner")]
    private partial void LogRevoked(string stage, string kind, int count, string partitions, int droppedCount);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Warning, Message = "Consumer of stage {Stage} failed to consume {ErrorCode} at {Topic} [{Partition}] @{Offset}")]
    private partial void LogConsumeError(Exception exception, string stage, ErrorCode errorCode, string? topic, int? partition, long? offset);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Warning, Message = "Handler of stage {Stage} rejected a batch of {Count} messages, so they are handled one at a time to find the failing ones")]
    private partial void LogIsolating(Exception exception, string stage, int count);

    [LoggerMessage(EventId = 1306, Level = LogLevel.Warning, Message = "Handler of stage {Stage} failed on a batch of {Count} messages, retry {Attempt} of {MaxRetries} in {DelaySeconds} s")]
    private partial void LogRetrying(Exception exception, string stage, int count, int attempt, int maxRetries, double delaySeconds);

    [LoggerMessage(EventId = 1307, Level = LogLevel.Critical, Message = "Handler of stage {Stage} failed on a batch of {Count} messages after {Retries} retries, so the consumer stops")]
    private partial void LogRetriesExhausted(Exception exception, string stage, int count, int retries);

    [LoggerMessage(EventId = 1308, Level = LogLevel.Critical, Message = "Consume loop of stage {Stage} in group {GroupId} failed and stopped")]
    private partial void LogLoopFailed(Exception exception, string stage, string groupId);

    [LoggerMessage(EventId = 1309, Level = LogLevel.Error, Message = "Stopping hook of stage {Stage} failed, so its pending work stays uncommitted")]
    private partial void LogStoppingHookFailed(Exception exception, string stage);

    [LoggerMessage(EventId = 1310, Level = LogLevel.Warning, Message = "Closing the consumer of stage {Stage} failed")]
    private partial void LogCloseFailed(Exception exception, string stage);

    [LoggerMessage(EventId = 1312, Level = LogLevel.Error, Message = "Revocation hook of stage {Stage} failed, so the work it did not mark durable is redelivered")]
    private partial void LogRevokeHookFailed(Exception exception, string stage);

    [LoggerMessage(EventId = 1313, Level = LogLevel.Debug, Message = "Consumer of stage {Stage} committed stored offsets of {Count} partitions before closing")]
    private partial void LogCommitted(string stage, int count);

    [LoggerMessage(EventId = 1314, Level = LogLevel.Error, Message = "Consumer of stage {Stage} failed to commit its stored offsets before closing, so the durable work since the last commit will be redelivered")]
    private partial void LogCommitFailed(Exception exception, string stage);

    [LoggerMessage(EventId = 1311, Level = LogLevel.Debug, Message = "Offset {Offset} of {Topic} [{Partition}] in stage {Stage} was not stored because the partition is no longer assigned")]
    private partial void LogStoreSkipped(string stage, string topic, int partition, long offset);
}
