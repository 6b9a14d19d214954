using Microsoft.Extensions.Options;
using RsStreamCurate.Contracts;

namespace RsStreamCurate.Feedback.Catalog;

/// <summary>A candidate caption with its latest reward score.</summary>
public sealed record CatalogCandidate(string CandidateId, string Text, double Score, string ModelVersion, DateTimeOffset ScoredAt);

/// <summary>Two candidates of one image to show a labeller, with the gap between their current scores.</summary>
public sealed record CandidatePair(string ImageId, string ImageUri, CatalogCandidate First, CatalogCandidate Second, double ScoreGap);

/// <summary>
/// The candidates consumed from <c>rs.scored</c>, with the latest score of each, per image. Memory is bounded: at most
/// <see cref="FeedbackOptions.CatalogMaxImages"/> images (the image updated longest ago is evicted first) and
/// <see cref="FeedbackOptions.CatalogMaxCandidatesPerImage"/> candidates per image (the candidate scored longest
/// ago is evicted first), so about images x candidates x (caption length + 200 bytes) in total. All members are
/// thread-safe and serialised by one lock.
/// </summary>
public sealed class CandidateCatalog
{
    private readonly int _maxImages;
    private readonly int _maxCandidatesPerImage;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ImageEntry> _images = new(StringComparer.Ordinal);

    // Images by last update, least recent first, for eviction.
    private readonly LinkedList<string> _recency = new();

    public CandidateCatalog(IOptions<FeedbackOptions> options)
        : this(options.Value.CatalogMaxImages, options.Value.CatalogMaxCandidatesPerImage)
    {
    }

    public CandidateCatalog(int maxImages, int maxCandidatesPerImage)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxImages, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCandidatesPerImage, 2);
        _maxImages = maxImages;
        _maxCandidatesPerImage = maxCandidatesPerImage;
    }

    public int ImageCount
    {
        get
        {
            lock (_lock)
            {
                return _images.Count;
            }
        }
    }

    /// <summary>Records a score. An older score of the same candidate (by <see cref="ScoredCandidate.ScoredAt"/>) does not replace a newer one.</summary>
    public void Update(ScoredCandidate scored)
    {
        ArgumentNullException.ThrowIfNull(scored);
        var caption = scored.Candidate;
        var candidate = new CatalogCandidate(caption.CandidateId, caption.Text, scored.Score, scored.ModelVersion, scored.ScoredAt);
        lock (_lock)
        {
            if (!_images.TryGetValue(caption.ImageId, out var image))
            {
                image = new ImageEntry(caption.ImageId, caption.ImageUri, _recency.AddLast(caption.ImageId));
                _images.Add(caption.ImageId, image);
                EvictImagesAboveLimit();
            }
            else
            {
                _recency.Remove(image.RecencyNode);
                _recency.AddLast(image.RecencyNode);
                image.ImageUri = caption.ImageUri;
            }

            if (image.Candidates.TryGetValue(candidate.CandidateId, out var existing) && existing.ScoredAt > candidate.ScoredAt)
            {
                return;
            }

            image.Candidates[candidate.CandidateId] = candidate;
            image.SortedGroups = null;
            if (image.Candidates.Count > _maxCandidatesPerImage)
            {
                var oldest = image.Candidates.Values.MinBy(c => c.ScoredAt)!;
                image.Candidates.Remove(oldest.CandidateId);
                FeedbackMetrics.CatalogEvictions.WithLabels("candidate").Inc();
            }

            FeedbackMetrics.CatalogImages.Set(_images.Count);
        }
    }

    /// <summary>Returns a candidate of an image, or null when the catalog does not hold it.</summary>
    public CatalogCandidate? Find(string imageId, string candidateId)
    {
        lock (_lock)
        {
            return _images.TryGetValue(imageId, out var image) && image.Candidates.TryGetValue(candidateId, out var candidate) ? candidate : null;
        }
    }

    public bool ContainsImage(string imageId)
    {
        lock (_lock)
        {
            return _images.ContainsKey(imageId);
        }
    }

    /// <summary>
    /// Finds the pair of candidates of one image, scored by the same model version, whose scores are closest, and
    /// that <paramref name="isExcluded"/> does not reject (it receives the image id and both texts). Pairs with
    /// identical texts are never returned. Ties go to the smaller image id, then the smaller candidate ids.
    /// Returns null when no pair is left.
    /// </summary>
    public CandidatePair? FindClosestPair(Func<string, string, string, bool> isExcluded)
    {
        ArgumentNullException.ThrowIfNull(isExcluded);
        lock (_lock)
        {
            CandidatePair? best = null;
            foreach (var image in _images.Values)
            {
                foreach (var group in image.GetSortedGroups())
                {
                    // No pair of a group is closer than its closest neighbours in score order.
                    if (best is not null && group.MinAdjacentGap > best.ScoreGap)
                    {
                        continue;
                    }

                    best = ScanGroup(image, group.Candidates, isExcluded, best);
                }
            }

            return best;
        }
    }

    private static CandidatePair? ScanGroup(ImageEntry image, CatalogCandidate[] sorted, Func<string, string, string, bool> isExcluded, CandidatePair? best)
    {
        for (int i = 0; i < sorted.Length; i++)
        {
            for (int j = i + 1; j < sorted.Length; j++)
            {
                double gap = sorted[j].Score - sorted[i].Score;
                if (best is not null && gap > best.ScoreGap)
                {
                    break;
                }

                var (first, second) = string.CompareOrdinal(sorted[i].CandidateId, sorted[j].CandidateId) < 0 ? (sorted[i], sorted[j]) : (sorted[j], sorted[i]);
                if (first.Text == second.Text || isExcluded(image.ImageId, first.Text, second.Text))
                {
                    continue;
                }

                var candidate = new CandidatePair(image.ImageId, image.ImageUri, first, second, gap);
                if (best is null || IsBetter(candidate, best))
                {
                    best = candidate;
                }
            }
        }

        return best;
    }

    private static bool IsBetter(CandidatePair candidate, CandidatePair best)
    {
        if (candidate.ScoreGap != best.ScoreGap)
        {
            return candidate.ScoreGap < best.ScoreGap;
        }

        int byImage = string.CompareOrdinal(candidate.ImageId, best.ImageId);
        if (byImage != 0)
        {
            return byImage < 0;
        }

        int byFirst = string.CompareOrdinal(candidate.First.CandidateId, best.First.CandidateId);
        return byFirst != 0 ? byFirst < 0 : string.CompareOrdinal(candidate.Second.CandidateId, best.Second.CandidateId) < 0;
    }

    private void EvictImagesAboveLimit()
    {
        while (_images.Count > _maxImages && _recency.First is { } oldest)
        {
            _recency.RemoveFirst();
            _images.Remove(oldest.Value);
            FeedbackMetrics.CatalogEvictions.WithLabels("image").Inc();
        }
    }

    private sealed class ImageEntry(string imageId, string imageUri, LinkedListNode<string> recencyNode)
    {
        public string ImageId { get; } = imageId;

        public string ImageUri { get; set; } = imageUri;

        public LinkedListNode<string> RecencyNode { get; } = recencyNode;

        public Dictionary<string, CatalogCandidate> Candidates { get; } = new(StringComparer.Ordinal);

        /// <summary>Candidates grouped by model version and sorted by score; rebuilt after a change.</summary>
        public List<ScoreGroup>? SortedGroups { get; set; }

        public List<ScoreGroup> GetSortedGroups()
        {
            if (SortedGroups is not null)
            {
                return SortedGroups;
            }

            SortedGroups = [];
            foreach (var version in Candidates.Values.GroupBy(c => c.ModelVersion, StringComparer.Ordinal))
            {
                var sorted = version.OrderBy(c => c.Score).ThenBy(c => c.CandidateId, StringComparer.Ordinal).ToArray();
                if (sorted.Length < 2)
                {
                    continue;
                }

                double minGap = double.PositiveInfinity;
                for (int i = 1; i < sorted.Length; i++)
                {
                    minGap = Math.Min(minGap, sorted[i].Score - sorted[i - 1].Score);
                }

                SortedGroups.Add(new ScoreGroup(sorted, minGap));
            }

            return SortedGroups;
        }
    }

    private sealed record ScoreGroup(CatalogCandidate[] Candidates, double MinAdjacentGap);
}
