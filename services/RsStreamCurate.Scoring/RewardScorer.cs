using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using RsStreamCurate.Contracts;
using TorchSharp;
using static TorchSharp.torch;

namespace RsStreamCurate.Scoring;

/// <summary>One (image, caption) pair to score. <see cref="ImageUri"/> is relative to the image root.</summary>
public sealed record ScoringRequest(string ImageUri, string Text)
{
    /// <summary>Encoded image sent inline; when set, <see cref="ImageUri"/> is only its cache key.</summary>
    public byte[]? ImageBytes { get; init; }

    /// <summary>Creates a request for an inline image, keyed by the SHA-256 of its bytes so repeats hit the cache.</summary>
    public static ScoringRequest ForImageBytes(byte[] imageBytes, string text)
    {
        ArgumentNullException.ThrowIfNull(imageBytes);
        return new ScoringRequest("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(imageBytes)), text)
        {
            ImageBytes = imageBytes,
        };
    }
}

/// <summary>
/// The scores of one request, or the reason it could not be scored. <see cref="ErrorReason"/> is a
/// <see cref="DeadLetterReasons"/> value.
/// </summary>
public sealed record ScoringResult
{
    /// <summary>Learned reward; unbounded, and only its order within one model version means something.</summary>
    public double? Score { get; init; }

    /// <summary>Cosine similarity of the image and text embeddings of the same model: the CLIP-score baseline.</summary>
    public double? ClipScore { get; init; }

    public string? ErrorReason { get; init; }

    public string? ErrorMessage { get; init; }

    public bool Succeeded => ErrorReason is null;

    public static ScoringResult Failure(string reason, string message) => new() { ErrorReason = reason, ErrorMessage = message };
}

/// <summary>
/// Scores batches of (image, caption) requests with one loaded model version. Thread-safe: images are
/// decoded in parallel by callers' threads, and the model runs under a lock with one dispose scope per batch.
/// </summary>
public sealed partial class RewardScorer : IDisposable
{
    private static readonly Histogram BatchSeconds = Metrics.CreateHistogram(
        "rscurate_scoring_batch_seconds",
        "Time to score one batch of candidate captions, including image decoding on a cache miss.",
        new HistogramConfiguration { Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    // Maximum images encoded in one forward pass, to bound memory when a batch has many distinct images.
    private const int ImageChunkSize = 64;

    private readonly RewardCheckpoint _checkpoint;
    private readonly ImageLoader _imageLoader;
    private readonly ImageEmbeddingCache _cache;
    private readonly ILogger _logger;
    private readonly Device _device;
    private readonly object _modelLock = new();
    private readonly bool _ownsCheckpoint;

    /// <summary>
    /// Creates a scorer that moves the model of <paramref name="checkpoint"/> to <paramref name="device"/>
    /// (default: <see cref="TorchRuntime.SelectDevice"/>) and sets evaluation mode. The scorer disposes the
    /// checkpoint unless <paramref name="ownsCheckpoint"/> is false.
    /// </summary>
    public RewardScorer(
        RewardCheckpoint checkpoint, ImageLoader imageLoader, ImageEmbeddingCache cache,
        ILogger<RewardScorer>? logger = null, Device? device = null, bool ownsCheckpoint = true)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(imageLoader);
        ArgumentNullException.ThrowIfNull(cache);
        if (imageLoader.Options.InputSize != checkpoint.Model.Options.InputSize)
        {
            throw new ArgumentException(
                $"The image loader resizes to {imageLoader.Options.InputSize} px but model {checkpoint.ModelVersion} expects {checkpoint.Model.Options.InputSize} px; set ImageLoaderOptions.InputSize to {checkpoint.Model.Options.InputSize}.");
        }

        _checkpoint = checkpoint;
        _ownsCheckpoint = ownsCheckpoint;
        _imageLoader = imageLoader;
        _cache = cache;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _device = device ?? TorchRuntime.SelectDevice();
        _checkpoint.Model.to(_device);
        _checkpoint.Model.eval();
    }

    /// <summary>Version tag of the loaded model, to attach to every score.</summary>
    public string ModelVersion => _checkpoint.ModelVersion;

    public CheckpointMetadata Metadata => _checkpoint.Metadata;

    public ImageEmbeddingCache Cache => _cache;

    /// <summary>Loads a checkpoint directory and returns a scorer for it.</summary>
    public static RewardScorer Open(string checkpointDirectory, ImageLoaderOptions imageOptions, ImageEmbeddingCache cache, ILogger<RewardScorer>? logger = null)
    {
        var checkpoint = RewardCheckpoint.Load(checkpointDirectory);
        try
        {
            var loader = new ImageLoader(imageOptions with { InputSize = checkpoint.Model.Options.InputSize });
            return new RewardScorer(checkpoint, loader, cache, logger);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Scores each request and returns one result per request, in order. A request whose image or text
    /// cannot be used gets a failed result; the other requests of the batch are still scored.
    /// </summary>
    public IReadOnlyList<ScoringResult> ScoreBatch(IReadOnlyList<ScoringRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var results = new ScoringResult?[requests.Count];
        if (requests.Count == 0)
        {
            return [];
        }

        var started = Stopwatch.GetTimestamp();
        var embeddings = ResolveImageEmbeddings(requests, results);

        var scorable = new List<int>(requests.Count);
        for (int i = 0; i < requests.Count; i++)
        {
            if (results[i] is null)
            {
                scorable.Add(i);
            }
        }

        if (scorable.Count > 0)
        {
            ScoreTexts(requests, scorable, embeddings, results);
        }

        BatchSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        return results.Select(result => result!).ToArray();
    }

    // Fills results[i] with a failure for unusable requests and returns the embedding of every usable image.
    private Dictionary<string, float[]> ResolveImageEmbeddings(IReadOnlyList<ScoringRequest> requests, ScoringResult?[] results)
    {
        var embeddings = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var failures = new Dictionary<string, ScoringResult>(StringComparer.Ordinal);
        var missing = new List<(string Uri, float[] Pixels)>();
        var pending = new HashSet<string>(StringComparer.Ordinal);

        for (int i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            if (request is null || string.IsNullOrWhiteSpace(request.Text))
            {
                results[i] = ScoringResult.Failure(DeadLetterReasons.EmptyCaption, "The caption text is empty; send a non-empty caption.");
                continue;
            }

            var uri = request.ImageUri ?? "";
            if (embeddings.ContainsKey(uri) || pending.Contains(uri))
            {
                continue;
            }

            if (failures.TryGetValue(uri, out var failure))
            {
                results[i] = failure;
                continue;
            }

            if (_cache.TryGet(ModelVersion, uri, out var cached))
            {
                embeddings[uri] = cached;
                continue;
            }

            try
            {
                var pixels = request.ImageBytes is { } bytes ? _imageLoader.LoadBytes(bytes, uri) : _imageLoader.Load(uri);
                missing.Add((uri, pixels));
                pending.Add(uri);
            }
            catch (ImageLoadException ex)
            {
                LogImageRejected(ex.Reason, uri, ex.Message);
                failures[uri] = ScoringResult.Failure(ex.Reason, ex.Message);
                results[i] = failures[uri];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                var message = $"Image '{uri}' could not be read ({ex.Message}); check that the file exists and is readable.";
                LogImageRejected(DeadLetterReasons.ImageNotFound, uri, message);
                failures[uri] = ScoringResult.Failure(DeadLetterReasons.ImageNotFound, message);
                results[i] = failures[uri];
            }
        }

        for (int start = 0; start < missing.Count; start += ImageChunkSize)
        {
            var chunk = missing.Skip(start).Take(ImageChunkSize).ToList();
            var encoded = EncodeImages(chunk.Select(m => m.Pixels).ToList());
            for (int j = 0; j < chunk.Count; j++)
            {
                embeddings[chunk[j].Uri] = encoded[j];
                _cache.Add(ModelVersion, chunk[j].Uri, encoded[j]);
            }
        }

        return embeddings;
    }

    /// <summary>Encodes preprocessed images (CHW floats from <see cref="ImageLoader.Load"/>) to normalised embeddings.</summary>
    public float[][] EncodeImages(IReadOnlyList<float[]> images)
    {
        int size = _checkpoint.Model.Options.InputSize;
        int pixelCount = 3 * size * size;
        var flat = new float[images.Count * pixelCount];
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i].Length != pixelCount)
            {
                throw new ArgumentException($"Image {i} has {images[i].Length} values; the model expects {pixelCount} (3 x {size} x {size}).", nameof(images));
            }

            images[i].CopyTo(flat, i * pixelCount);
        }

        float[] output;
        lock (_modelLock)
        {
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            var input = torch.tensor(flat, [images.Count, 3, size, size]).to(_device);
            output = _checkpoint.Model.EncodeImages(input).cpu().data<float>().ToArray();
        }

        int embeddingSize = _checkpoint.Model.Options.EmbeddingSize;
        return Enumerable.Range(0, images.Count).Select(i => output.AsSpan(i * embeddingSize, embeddingSize).ToArray()).ToArray();
    }

    private void ScoreTexts(IReadOnlyList<ScoringRequest> requests, List<int> scorable, Dictionary<string, float[]> embeddings, ScoringResult?[] results)
    {
        var tokenizer = _checkpoint.Tokenizer;
        int length = tokenizer.MaxLength;
        int embeddingSize = _checkpoint.Model.Options.EmbeddingSize;
        var tokenIds = new long[scorable.Count * length];
        var imageEmbeddings = new float[scorable.Count * embeddingSize];
        for (int k = 0; k < scorable.Count; k++)
        {
            var request = requests[scorable[k]];
            tokenizer.Encode(request.Text, tokenIds.AsSpan(k * length, length));
            embeddings[request.ImageUri ?? ""].CopyTo(imageEmbeddings, k * embeddingSize);
        }

        float[] rewards, cosines;
        lock (_modelLock)
        {
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            var images = torch.tensor(imageEmbeddings, [scorable.Count, embeddingSize]).to(_device);
            var tokens = torch.tensor(tokenIds, [scorable.Count, length]).to(_device);
            var texts = _checkpoint.Model.EncodeTexts(tokens);
            rewards = _checkpoint.Model.Reward(images, texts).cpu().data<float>().ToArray();
            cosines = _checkpoint.Model.Cosine(images, texts).cpu().data<float>().ToArray();
        }

        for (int k = 0; k < scorable.Count; k++)
        {
            results[scorable[k]] = new ScoringResult { Score = rewards[k], ClipScore = cosines[k] };
        }
    }

    public void Dispose()
    {
        if (_ownsCheckpoint)
        {
            _checkpoint.Dispose();
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Rejected image {ImageUri} for scoring: {Reason}: {Detail}")]
    private partial void LogImageRejected(string reason, string imageUri, string detail);
}
