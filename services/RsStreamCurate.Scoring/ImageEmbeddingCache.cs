using Prometheus;

namespace RsStreamCurate.Scoring;

/// <summary>
/// Bounded least-recently-used cache of image embeddings keyed by model version and image URI, so an image
/// that carries several candidate captions is decoded and encoded once per model version. Thread-safe.
/// </summary>
public sealed class ImageEmbeddingCache
{
    private static readonly Counter Requests = Metrics.CreateCounter(
        "rscurate_image_cache_requests_total",
        "Image embedding cache look-ups, by result (hit or miss).",
        new CounterConfiguration { LabelNames = ["result"] });

    private static readonly Counter.Child HitCounter = Requests.WithLabels("hit");
    private static readonly Counter.Child MissCounter = Requests.WithLabels("miss");

    private readonly object _lock = new();
    private readonly Dictionary<(string ModelVersion, string ImageUri), LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recency = new();
    private long _hits;
    private long _misses;

    public ImageEmbeddingCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>Maximum number of embeddings kept; the least recently used one is evicted first.</summary>
    public int Capacity { get; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Hits divided by look-ups since this cache was created, or 0 before the first look-up.</summary>
    public double HitRatio
    {
        get
        {
            long hits = Hits, total = hits + Misses;
            return total == 0 ? 0 : (double)hits / total;
        }
    }

    /// <summary>Looks up an embedding and counts the result as a hit or a miss.</summary>
    public bool TryGet(string modelVersion, string imageUri, out float[] embedding)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue((modelVersion, imageUri), out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                embedding = node.Value.Embedding;
                Interlocked.Increment(ref _hits);
                HitCounter.Inc();
                return true;
            }
        }

        embedding = [];
        Interlocked.Increment(ref _misses);
        MissCounter.Inc();
        return false;
    }

    /// <summary>Stores an embedding; the caller must not change the array afterwards.</summary>
    public void Add(string modelVersion, string imageUri, float[] embedding)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        var key = (modelVersion, imageUri);
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                _recency.Remove(existing);
                _entries.Remove(key);
            }

            var node = _recency.AddFirst(new Entry(key, embedding));
            _entries[key] = node;
            while (_entries.Count > Capacity)
            {
                var oldest = _recency.Last!;
                _recency.RemoveLast();
                _entries.Remove(oldest.Value.Key);
            }
        }
    }

    /// <summary>Removes every embedding of one model version, for example after that version is retired.</summary>
    public void RemoveVersion(string modelVersion)
    {
        lock (_lock)
        {
            var node = _recency.First;
            while (node is not null)
            {
                var next = node.Next;
                if (node.Value.Key.ModelVersion == modelVersion)
                {
                    _recency.Remove(node);
                    _entries.Remove(node.Value.Key);
                }

                node = next;
            }
        }
    }

    private sealed record Entry((string ModelVersion, string ImageUri) Key, float[] Embedding);
}
