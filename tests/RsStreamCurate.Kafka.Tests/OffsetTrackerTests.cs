using Confluent.Kafka;

namespace RsStreamCurate.Kafka.Tests;

public sealed class OffsetTrackerTests
{
    private static readonly TopicPartition Partition = new("t", 0);

    private static TopicPartitionOffset At(long offset) => new(Partition, offset);

    [Fact]
    public void Stored_offset_stops_at_first_pending()
    {
        var tracker = new OffsetTracker();
        tracker.Assign(Partition);
        for (int offset = 0; offset < 4; offset++)
        {
            tracker.Track(At(offset));
        }

        var afterSecond = tracker.Complete(At(1));
        var afterFirst = tracker.Complete(At(0));
        var afterLast = tracker.Complete(At(3));
        var afterThird = tracker.Complete(At(2));

        Assert.Null(afterSecond);
        Assert.Equal(2, afterFirst?.Offset.Value);
        Assert.Null(afterLast);
        Assert.Equal(4, afterThird?.Offset.Value);
        Assert.Equal(0, tracker.PendingCount);
    }

    [Fact]
    public void Revoked_partition_stores_nothing()
    {
        var tracker = new OffsetTracker();
        tracker.Assign(Partition);
        tracker.Track(At(7));

        int dropped = tracker.Remove(Partition);

        Assert.Equal(1, dropped);
        Assert.Null(tracker.Complete(At(7)));
        Assert.False(tracker.IsPending(At(7)));
    }

    [Fact]
    public void Completing_twice_stores_once()
    {
        var tracker = new OffsetTracker();
        tracker.Track(At(0));

        Assert.Equal(1, tracker.Complete(At(0))?.Offset.Value);
        Assert.Null(tracker.Complete(At(0)));
    }
}
