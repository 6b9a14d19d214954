using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace RsStreamCurate.Kafka;

/// <summary>
/// Holds a producer while the downstream consumer group lags too far behind on its topic. The embedded broker
/// keeps only about 5 MiB per partition and silently drops older records, so a producer that runs far ahead of
/// its consumers loses data there.
/// </summary>
/// <remarks>
/// Between two lag measurements the gate adds the messages it let through to the last measured lag, so a fast
/// producer cannot pass far beyond the limit while the measurement is cached. Other producers to the same topic
/// are not counted, so with several producers the lag can exceed the limit by what they send within
/// <see cref="KafkaOptions.LagCacheDuration"/>.
/// </remarks>
public sealed partial class BackpressureGate
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly ConsumerLagMonitor _monitor;
    private readonly ILogger<BackpressureGate> _logger;
    private readonly Lock _lock = new();
    private LagMeasurement? _lastMeasurement;
    private long _passedSinceMeasurement;

    public BackpressureGate(ConsumerLagMonitor monitor, string downstreamGroupId, string topic, long maxLag, ILogger<BackpressureGate> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(downstreamGroupId);
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLag, 1);
        _monitor = monitor;
        _logger = logger;
        DownstreamGroupId = downstreamGroupId;
        Topic = topic;
        MaxLag = maxLag;
    }

    public string DownstreamGroupId { get; }

    public string Topic { get; }

    /// <summary>Lag in messages above which <see cref="WaitAsync"/> makes the caller wait.</summary>
    public long MaxLag { get; }

    /// <summary>
    /// Completes when the caller may produce <paramref name="messageCount"/> more messages, that is when the estimated
    /// lag of the downstream group is at most <see cref="MaxLag"/>. Waits, polling the lag, while it is above.
    /// </summary>
    public async ValueTask WaitAsync(int messageCount = 1, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(messageCount, 1);

        var measurement = await TryMeasureAsync(cancellationToken).ConfigureAwait(false);
        if (measurement is not null && TryPass(measurement, messageCount))
        {
            return;
        }

        long waitStart = Stopwatch.GetTimestamp();
        LogPaused(Topic, DownstreamGroupId, measurement?.Lag ?? -1, MaxLag);
        try
        {
            do
            {
                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
                measurement = await TryMeasureAsync(cancellationToken).ConfigureAwait(false);
            }
            while (measurement is null || !TryPass(measurement, messageCount));
        }
        finally
        {
            var waited = Stopwatch.GetElapsedTime(waitStart);
            KafkaMetrics.BackpressureWait.WithLabels(Topic).Inc(waited.TotalSeconds);
            LogResumed(Topic, DownstreamGroupId, measurement?.Lag ?? -1, waited.TotalSeconds);
        }
    }

    /// <summary>Returns the current lag measurement, or null after logging when it could not be measured.</summary>
    private async Task<LagMeasurement?> TryMeasureAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _monitor.GetLagMeasurementAsync(DownstreamGroupId, Topic, cancellationToken).ConfigureAwait(false);
        }
        catch (KafkaException ex)
        {
            // A producer that cannot see the lag waits rather than risk overrunning its consumers.
            LogMeasureFailed(ex, Topic, DownstreamGroupId);
            return null;
        }
    }

    private bool TryPass(LagMeasurement measurement, int messageCount)
    {
        lock (_lock)
        {
            if (!ReferenceEquals(measurement, _lastMeasurement))
            {
                // A new measurement already contains what passed before it, as far as the producer delivered it.
                _lastMeasurement = measurement;
                _passedSinceMeasurement = 0;
            }

            if (measurement.Lag + _passedSinceMeasurement > MaxLag)
            {
                return false;
            }

            _passedSinceMeasurement += messageCount;
            return true;
        }
    }

    [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "Producing to {Topic} paused: group {GroupId} lags {Lag} messages behind, above the limit of {MaxLag}")]
    private partial void LogPaused(string topic, string groupId, long lag, long maxLag);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Warning, Message = "Measuring the lag of group {GroupId} on {Topic} failed, so the producer waits and measures again")]
    private partial void LogMeasureFailed(Exception exception, string topic, string groupId);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "Producing to {Topic} resumed: group {GroupId} lags {Lag} messages behind after a wait of {WaitSeconds:F1} s")]
    private partial void LogResumed(string topic, string groupId, long lag, double waitSeconds);
}
