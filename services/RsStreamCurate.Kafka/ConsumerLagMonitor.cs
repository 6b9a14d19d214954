using System.Collections.Concurrent;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace RsStreamCurate.Kafka;

/// <summary>
/// Measures a consumer group's lag on a topic: the sum over partitions of the high watermark minus the group's
/// committed offset (minus the low watermark where the group has committed nothing). Each measurement sets
/// <c>rscurate_consumer_lag_messages{group,topic}</c>, and results are reused for
/// <see cref="KafkaOptions.LagCacheDuration"/>.
/// </summary>
/// <remarks>
/// The lag counts committed offsets, which trail the consumer's progress by up to
/// <see cref="KafkaOptions.CommitInterval"/> plus any work it keeps pending, so it overestimates the real lag.
/// Each group gets a consumer with that group.id that never subscribes, so it never joins or disturbs the group.
/// </remarks>
public sealed partial class ConsumerLagMonitor : IDisposable
{
    private readonly KafkaConnection _connection;
    private readonly ILogger<ConsumerLagMonitor> _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, GroupReader> _readers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Group, string Topic), CachedLag> _cache = new();
    private bool _disposed;

    public ConsumerLagMonitor(KafkaConnection connection, ILogger<ConsumerLagMonitor> logger, TimeProvider? time = null)
    {
        _connection = connection;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Returns the group's lag on the topic, measuring it when the cached value is older than the cache duration.</summary>
    public async Task<long> GetLagAsync(string groupId, string topic, CancellationToken cancellationToken = default) =>
        (await GetLagMeasurementAsync(groupId, topic, cancellationToken).ConfigureAwait(false)).Lag;

    /// <summary>Returns the cached or a new lag measurement, with the timestamp that identifies it.</summary>
    internal async Task<LagMeasurement> GetLagMeasurementAsync(string groupId, string topic, CancellationToken cancellationToken)
    {
        var cached = _cache.GetOrAdd((groupId, topic), _ => new CachedLag());
        if (cached.TryGetFresh(_time, _connection.Options.LagCacheDuration) is { } fresh)
        {
            return fresh;
        }

        await cached.Refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (cached.TryGetFresh(_time, _connection.Options.LagCacheDuration) is { } refreshed)
            {
                return refreshed;
            }

            long lag = await Task.Run(() => MeasureLag(groupId, topic), cancellationToken).ConfigureAwait(false);
            var measurement = new LagMeasurement(lag, _time.GetTimestamp());
            cached.Latest = measurement;
            return measurement;
        }
        finally
        {
            cached.Refresh.Release();
        }
    }

    /// <summary>Measures the group's lag on the topic now, without the cache. Blocks for the broker round trips.</summary>
    public long MeasureLag(string groupId, string topic)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ObjectDisposedException.ThrowIf(_disposed, this);

        var reader = _readers.GetOrAdd(groupId, id => new GroupReader(_connection, id));
        long lag = reader.MeasureLag(topic, _connection.Options.RequestTimeout);
        KafkaMetrics.ConsumerLag.WithLabels(groupId, topic).Set(lag);
        LogMeasured(groupId, topic, lag);
        return lag;
    }

    /// <summary>Creates a gate that pauses a producer of <paramref name="topic"/> while <paramref name="downstreamGroupId"/> lags by more than <see cref="KafkaOptions.MaxConsumerLag"/>.</summary>
    public BackpressureGate CreateGate(string downstreamGroupId, string topic, ILogger<BackpressureGate> logger) =>
        new(this, downstreamGroupId, topic, _connection.Options.MaxConsumerLag, logger);

    public void Dispose()
    {
        _disposed = true;
        foreach (var reader in _readers.Values)
        {
            reader.Dispose();
        }

        _readers.Clear();
    }

    [LoggerMessage(EventId = 1400, Level = LogLevel.Debug, Message = "Group {GroupId} lags {Lag} messages behind on {Topic}")]
    private partial void LogMeasured(string groupId, string topic, long lag);

    private sealed class CachedLag
    {
        private volatile LagMeasurement? _latest;

        public SemaphoreSlim Refresh { get; } = new(1, 1);

        public LagMeasurement? Latest
        {
            get => _latest;
            set => _latest = value;
        }

        public LagMeasurement? TryGetFresh(TimeProvider time, TimeSpan maxAge) =>
            _latest is { } latest && time.GetElapsedTime(latest.MeasuredAt) < maxAge ? latest : null;
    }

    /// <summary>A non-subscribing consumer with the group's id, for committed offsets and watermarks.</summary>
    private sealed class GroupReader : IDisposable
    {
        private static readonly TimeSpan MetadataMaxAge = TimeSpan.FromSeconds(30);

        private readonly Lock _lock = new();
        private readonly IConsumer<Ignore, Ignore> _consumer;
        private readonly IAdminClient _admin;
        private readonly Dictionary<string, (List<TopicPartition> Partitions, DateTime ReadAt)> _partitions = new(StringComparer.Ordinal);

        public GroupReader(KafkaConnection connection, string groupId)
        {
            var config = connection.CreateConsumerConfig(groupId, "lag-monitor");
            config.EnableAutoCommit = false;

            // It never joins the group, so the classic protocol, which every broker supports, is enough.
            config.GroupProtocol = Confluent.Kafka.GroupProtocol.Classic;
            _consumer = new ConsumerBuilder<Ignore, Ignore>(config).Build();
            _admin = new DependentAdminClientBuilder(_consumer.Handle).Build();
        }

        public long MeasureLag(string topic, TimeSpan timeout)
        {
            lock (_lock)
            {
                var partitions = GetPartitions(topic, timeout);
                var committed = _consumer.Committed(partitions, timeout);
                long lag = 0;
                foreach (var position in committed)
                {
                    var watermarks = _consumer.QueryWatermarkOffsets(position.TopicPartition, timeout);
                    long from = position.Offset.Value >= 0 ? position.Offset.Value : watermarks.Low.Value;
                    lag += Math.Max(0, watermarks.High.Value - from);
                }

                return lag;
            }
        }

        public void Dispose()
        {
            lock (_lock)
            {
                _admin.Dispose();
                _consumer.Dispose();
            }
        }

        private List<TopicPartition> GetPartitions(string topic, TimeSpan timeout)
        {
            if (_partitions.TryGetValue(topic, out var known) && DateTime.UtcNow - known.ReadAt < MetadataMaxAge)
            {
                return known.Partitions;
            }

            var metadata = _admin.GetMetadata(topic, timeout).Topics.SingleOrDefault(t => t.Topic == topic);
            if (metadata is null || metadata.Error.IsError)
            {
                throw new KafkaException(metadata?.Error ?? new Error(ErrorCode.UnknownTopicOrPart, $"Topic '{topic}' was not found in the cluster metadata."));
            }

            var partitions = metadata.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).ToList();
            _partitions[topic] = (partitions, DateTime.UtcNow);
            return partitions;
        }
    }
}

/// <summary>One lag measurement. <see cref="MeasuredAt"/> is a <see cref="TimeProvider"/> timestamp and also identifies it.</summary>
internal sealed record LagMeasurement(long Lag, long MeasuredAt);
