using Confluent.Kafka;

namespace RsStreamCurate.Kafka;

/// <summary>
/// Per-partition record of consumed offsets whose work is not yet durable. A partition may store its lowest
/// pending offset, or the offset after the highest consumed one when none is pending. So a stored offset never
/// passes a message whose work could still be lost. Not thread-safe.
/// </summary>
internal sealed class OffsetTracker
{
    private readonly Dictionary<TopicPartition, PartitionState> _partitions = [];

    public int PendingCount => _partitions.Values.Sum(state => state.Pending.Count);

    public void Assign(TopicPartition partition) => _partitions.TryAdd(partition, new PartitionState());

    /// <summary>Forgets a partition and its pending offsets. Returns how many pending offsets were dropped.</summary>
    public int Remove(TopicPartition partition) =>
        _partitions.Remove(partition, out var state) ? state.Pending.Count : 0;

    public void Track(TopicPartitionOffset consumed)
    {
        if (!_partitions.TryGetValue(consumed.TopicPartition, out var state))
        {
            state = new PartitionState();
            _partitions.Add(consumed.TopicPartition, state);
        }

        if (state.HighestConsumed < 0)
        {
            // The first message's offset is where consumption resumed, which is already committed or reset.
            state.Stored = consumed.Offset.Value;
        }

        state.Pending.Add(consumed.Offset.Value);
        state.HighestConsumed = Math.Max(state.HighestConsumed, consumed.Offset.Value);
    }

    public bool IsPending(TopicPartitionOffset consumed) =>
        _partitions.TryGetValue(consumed.TopicPartition, out var state) && state.Pending.Contains(consumed.Offset.Value);

    /// <summary>
    /// Marks the work of a consumed offset as durable. Returns the offset to store when the storable position
    /// advanced, or null when it did not or the partition is no longer assigned.
    /// </summary>
    public TopicPartitionOffset? Complete(TopicPartitionOffset consumed)
    {
        if (!_partitions.TryGetValue(consumed.TopicPartition, out var state) || !state.Pending.Remove(consumed.Offset.Value))
        {
            return null;
        }

        long position = state.Pending.Count > 0 ? state.Pending.Min : state.HighestConsumed + 1;
        if (position <= state.Stored)
        {
            return null;
        }

        state.Stored = position;
        return new TopicPartitionOffset(consumed.TopicPartition, new Offset(position));
    }

    private sealed class PartitionState
    {
        public SortedSet<long> Pending { get; } = [];

        public long HighestConsumed { get; set; } = -1;

        public long Stored { get; set; } = -1;
    }
}
