using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RsStreamCurate.Contracts;
using RsStreamCurate.Kafka;

namespace RsStreamCurate.Synthesis;

/// <summary>
/// Publishes the candidate feed to <c>rs.candidates</c>, keyed by image id so that every candidate of an image
/// lands on one partition and the scorer that owns it decodes the image once. It waits while the scorers lag
/// by more than <c>Kafka:MaxConsumerLag</c>, because the embedded broker silently drops old data beyond about
/// 5 MiB per partition.
/// </summary>
public sealed partial class SynthesisWorker : BackgroundService
{
    private const int BatchSize = 256;

    private readonly SynthesisOptions _options;
    private readonly KafkaConnection _connection;
    private readonly ConsumerLagMonitor _lagMonitor;
    private readonly DeadLetterPublisher _deadLetters;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<SynthesisWorker> _logger;
    private readonly TaskCompletionSource<long> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _produced;
    private long _deadLettered;

    public SynthesisWorker(
        IOptions<SynthesisOptions> options,
        KafkaConnection connection,
        ConsumerLagMonitor lagMonitor,
        DeadLetterPublisher deadLetters,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory)
    {
        _options = options.Value;
        _connection = connection;
        _lagMonitor = lagMonitor;
        _deadLetters = deadLetters;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<SynthesisWorker>();
    }

    /// <summary>Kafka consumer group whose lag on <c>rs.candidates</c> throttles the producer.</summary>
    public string DownstreamGroupId { get; init; } = "rscurate-scoring";

    /// <summary>Candidates acknowledged by the brokers so far.</summary>
    public long Produced => Interlocked.Read(ref _produced);

    /// <summary>Manifest lines sent to the dead-letter topic so far.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>Completes with the number of candidates produced when a non-looping feed has been published whole.</summary>
    public Task<long> Completion => _completion.Task;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Run(() => PublishFeedAsync(stoppingToken), CancellationToken.None);

    private async Task PublishFeedAsync(CancellationToken stoppingToken)
    {
        var gate = _lagMonitor.CreateGate(DownstreamGroupId, Topics.Candidates, _loggerFactory.CreateLogger<BackpressureGate>());
        using var producer = new KafkaStageProducer(_connection, "synthesis", gate);
        var feed = new CandidateFeed(_options, _timeProvider);
        var batch = new List<(string? Key, byte[] Value)>(BatchSize);
        var started = Stopwatch.GetTimestamp();
        LogStarted(_options.Manifest, _options.Loop, _options.MaxCandidatesPerSecond);

        try
        {
            foreach (var item in feed.Enumerate(stoppingToken))
            {
                if (item.Candidate is { } candidate)
                {
                    batch.Add((candidate.ImageId, MessageCodec.Encode(candidate)));
                    if (batch.Count >= BatchSize)
                    {
                        await FlushAsync(producer, batch, started, stoppingToken).ConfigureAwait(false);
                    }

                    continue;
                }

                LogInvalidManifestLine(item.Detail ?? item.Reason ?? "unknown problem");
                byte[]? payload = item.RawLine is null ? null : Encoding.UTF8.GetBytes(item.RawLine);
                if (await _deadLetters.PublishAsync("synthesis", item.Reason!, item.Detail ?? item.Reason!, null, payload, null, stoppingToken).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref _deadLettered);
                }
            }

            await FlushAsync(producer, batch, started, stoppingToken).ConfigureAwait(false);
            LogFinished(Produced, DeadLettered, Stopwatch.GetElapsedTime(started).TotalSeconds);
            _completion.TrySetResult(Produced);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            LogStopped(Produced);
            _completion.TrySetCanceled(stoppingToken);
        }
        catch (Exception ex)
        {
            LogFailed(ex, Produced);
            _completion.TrySetException(ex);
            throw;
        }
    }

    private async Task FlushAsync(KafkaStageProducer producer, List<(string? Key, byte[] Value)> batch, long started, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        await producer.ProduceBatchAsync(Topics.Candidates, batch, cancellationToken).ConfigureAwait(false);
        long produced = Interlocked.Add(ref _produced, batch.Count);
        PipelineMetrics.Candidates.WithLabels("synthesis", "out").Inc(batch.Count);
        batch.Clear();

        // Rate limit: sleep until the average rate since start is back at the configured maximum.
        if (_options.MaxCandidatesPerSecond > 0)
        {
            var due = TimeSpan.FromSeconds(produced / _options.MaxCandidatesPerSecond);
            var ahead = due - Stopwatch.GetElapsedTime(started);
            if (ahead > TimeSpan.Zero)
            {
                await Task.Delay(ahead, _timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(1000, LogLevel.Information, "Synthesis started from manifest {Manifest} (loop {Loop}, max {MaxCandidatesPerSecond} candidates/s, 0 = unlimited)")]
    private partial void LogStarted(string manifest, bool loop, double maxCandidatesPerSecond);

    [LoggerMessage(1001, LogLevel.Information, "Synthesis finished: {Produced} candidates produced, {DeadLettered} manifest lines dead-lettered in {Seconds:F1} s")]
    private partial void LogFinished(long produced, long deadLettered, double seconds);

    [LoggerMessage(1002, LogLevel.Information, "Synthesis stopped after {Produced} candidates")]
    private partial void LogStopped(long produced);

    [LoggerMessage(1003, LogLevel.Warning, "Invalid manifest line sent to the dead-letter topic: {Detail}")]
    private partial void LogInvalidManifestLine(string detail);

    [LoggerMessage(1004, LogLevel.Error, "Synthesis failed after {Produced} candidates")]
    private partial void LogFailed(Exception exception, long produced);
}
