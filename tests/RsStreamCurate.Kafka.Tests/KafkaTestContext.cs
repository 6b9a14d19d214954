using System.Collections.Concurrent;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace RsStreamCurate.Kafka.Tests;

/// <summary>A connection to a fresh embedded broker per test, with a logger that writes to the test output.</summary>
internal sealed class KafkaTestContext : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private KafkaTestContext(KafkaOptions options, ITestOutputHelper output)
    {
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(builder => builder
            .SetMinimumLevel(LogLevel.Information)
            .AddProvider(new TestOutputLoggerProvider(output)));
        Options = options;
        Connection = new KafkaConnection(Microsoft.Extensions.Options.Options.Create(options), LoggerFactory);
        DeadLetters = new DeadLetterPublisher(Connection, LoggerFactory.CreateLogger<DeadLetterPublisher>());
    }

    public ILoggerFactory LoggerFactory { get; }

    public KafkaOptions Options { get; }

    public KafkaConnection Connection { get; }

    public DeadLetterPublisher DeadLetters { get; }

    public static KafkaTestContext Create(ITestOutputHelper output, Action<KafkaOptions>? configure = null)
    {
        var options = new KafkaOptions
        {
            ConsumeBatchMaxWait = TimeSpan.FromMilliseconds(100),
            CommitInterval = TimeSpan.FromMilliseconds(200),
            TickInterval = TimeSpan.FromMilliseconds(200),
            HandlerRetryDelay = TimeSpan.FromMilliseconds(50),
            LagCacheDuration = TimeSpan.FromMilliseconds(100),
        };
        configure?.Invoke(options);
        var context = new KafkaTestContext(options, output);
        _ = context.Connection.BootstrapServers;
        return context;
    }

    public void CreateTopic(string topic, int partitions) => Connection.EmbeddedCluster!.CreateTopic(topic, partitions);

    public void Produce(string topic, IEnumerable<(byte[]? Key, byte[] Value)> messages)
    {
        using var producer = Connection.CreateRawProducerBuilder("test-producer").Build();
        foreach (var (key, value) in messages)
        {
            producer.Produce(topic, new Message<byte[]?, byte[]> { Key = key, Value = value }, report =>
            {
                if (report.Error.IsError)
                {
                    throw new InvalidOperationException($"Test message to {topic} was not delivered: {report.Error}");
                }
            });
        }

        Assert.Equal(0, producer.Flush(Timeout));
    }

    public void ProduceText(string topic, int count, string prefix, int? partition = null)
    {
        using var producer = Connection.CreateProducer("test-producer");
        for (int i = 0; i < count; i++)
        {
            var message = new Message<string?, byte[]> { Key = $"{prefix}{i}", Value = System.Text.Encoding.UTF8.GetBytes($"{prefix}{i}") };
            if (partition is { } p)
            {
                producer.Produce(new TopicPartition(topic, p), message);
            }
            else
            {
                producer.Produce(topic, message);
            }
        }

        Assert.Equal(0, producer.Flush(Timeout));
    }

    /// <summary>Reads <paramref name="count"/> messages of a topic from the beginning with a fresh group, or fewer on timeout.</summary>
    public List<ConsumeResult<string?, byte[]>> ReadFromStart(string topic, int count, TimeSpan? timeout = null)
    {
        var config = Connection.CreateConsumerConfig($"reader-{Guid.NewGuid():N}", "test-reader");
        config.EnableAutoCommit = false;
        using var consumer = new ConsumerBuilder<string?, byte[]>(config).Build();
        consumer.Subscribe(topic);
        var results = new List<ConsumeResult<string?, byte[]>>();
        var deadline = DateTime.UtcNow + (timeout ?? Timeout);
        while (results.Count < count && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is not null)
            {
                results.Add(result);
            }
        }

        consumer.Close();
        return results;
    }

    public void Dispose()
    {
        DeadLetters.Dispose();
        Connection.Dispose();
        LoggerFactory.Dispose();
    }

    public static async Task WaitUntilAsync(Func<bool> condition, string because, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Timeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {(timeout ?? Timeout).TotalSeconds} s waiting until {because}.");
            }

            await Task.Delay(50);
        }
    }
}

/// <summary>Consumer service whose handler is a delegate, recording every message it was handed.</summary>
internal sealed class DelegateConsumerService(
    KafkaTestContext context,
    string stage,
    string groupId,
    string topic,
    Func<DelegateConsumerService, IReadOnlyList<ConsumeResult<string?, byte[]>>, Task> handler,
    Action<DelegateConsumerService>? onStopping = null)
    : KafkaBatchConsumerService(context.Connection, context.DeadLetters, context.LoggerFactory.CreateLogger(stage))
{
    public ConcurrentQueue<ConsumeResult<string?, byte[]>> Received { get; } = new();

    public int TickCount;

    public int AssignedCount;

    protected override string Stage => stage;

    protected override string GroupId => groupId;

    protected override IReadOnlyCollection<string> SubscribedTopics => [topic];

    public void MarkAllDurable(IEnumerable<ConsumeResult<string?, byte[]>> messages) => MarkDurable(messages);

    protected override Task HandleBatchAsync(IReadOnlyList<ConsumeResult<string?, byte[]>> batch, CancellationToken cancellationToken)
    {
        foreach (var message in batch)
        {
            Received.Enqueue(message);
        }

        return handler(this, batch);
    }

    protected override Task OnTickAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref TickCount);
        return Task.CompletedTask;
    }

    protected override Task OnStoppingAsync(CancellationToken cancellationToken)
    {
        onStopping?.Invoke(this);
        return Task.CompletedTask;
    }

    protected override void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions) => Interlocked.Add(ref AssignedCount, partitions.Count);

    protected override void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions, bool lost) => Interlocked.Add(ref AssignedCount, -partitions.Count);
}

internal sealed class TestOutputLoggerProvider(ITestOutputHelper output) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new TestOutputLogger(output, categoryName);

    public void Dispose()
    {
    }

    private sealed class TestOutputLogger(ITestOutputHelper output, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try
            {
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name + ": " + exception.Message)}");
            }
            catch (InvalidOperationException)
            {
                // The test has finished, but librdkafka threads may still log while clients shut down.
            }
        }
    }
}
