using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace RsStreamCurate.Training.Retraining;

/// <summary>A preference pair with its weight in the fine-tuning loss.</summary>
public sealed record WeightedPair(PreferencePair Pair, double Weight);

/// <summary>Settings of <see cref="RewardFineTuner.Run"/>.</summary>
public sealed record FineTuneOptions
{
    /// <summary>Checkpoint to start from, normally the current model.</summary>
    public required string BaseCheckpoint { get; init; }

    public required string OutputDirectory { get; init; }

    public required string ModelVersion { get; init; }

    /// <summary>Folder that the pairs' image paths are relative to.</summary>
    public required string ImageRoot { get; init; }

    public required IReadOnlyList<WeightedPair> Pairs { get; init; }

    public int Epochs { get; init; } = 4;

    public int BatchSize { get; init; } = 64;

    public double LearningRate { get; init; } = 3e-4;

    public double WeightDecay { get; init; } = 0.01;

    public int Seed { get; init; } = 7;
}

/// <summary>What one fine-tuning run did.</summary>
public sealed record FineTuneReport(
    string ModelVersion,
    string CheckpointDirectory,
    int Pairs,
    int SkippedPairs,
    IReadOnlyList<double> EpochLosses,
    double Seconds);

/// <summary>
/// Fine-tunes a reward model from an existing checkpoint on weighted preference pairs with the Bradley-Terry loss
/// <c>sum(w * -log sigmoid(s_chosen - s_rejected)) / sum(w)</c>. The image tower stays frozen, so image embeddings
/// are computed once and only the text tower and reward head learn. The tokenizer is kept as it is, so words that
/// it has never seen split into known WordPiece tokens, or become unknown tokens in word-level checkpoints.
/// </summary>
public static class RewardFineTuner
{
    public static FineTuneReport Run(FineTuneOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (options.Pairs.Count == 0)
        {
            throw new ArgumentException("Fine-tuning needs at least one preference pair.", nameof(options));
        }

        if (options.Pairs.Any(p => !(p.Weight > 0)))
        {
            throw new ArgumentException("Every pair weight must be positive.", nameof(options));
        }

        var started = Stopwatch.StartNew();
        var device = TorchRuntime.SelectDevice();
        torch.manual_seed(options.Seed);
        using var checkpoint = RewardCheckpoint.Load(options.BaseCheckpoint);
        var model = checkpoint.Model;
        model.to(device);
        var loader = new ImageLoader(new ImageLoaderOptions { ImageRoot = options.ImageRoot, InputSize = model.Options.InputSize });

        var (embeddings, imageIndex) = EncodeImages(model, loader, options.Pairs, device, logger);
        using var imageEmbeddings = embeddings;
        var usable = options.Pairs.Where(p => imageIndex.ContainsKey(p.Pair.ImagePath)).ToList();
        int skipped = options.Pairs.Count - usable.Count;
        if (usable.Count == 0)
        {
            throw new InvalidDataException($"None of the {options.Pairs.Count} pairs has an image that loads under {options.ImageRoot}.");
        }

        foreach (var parameter in model.ImageTowerModule.parameters())
        {
            parameter.requires_grad = false;
        }

        model.train();
        model.ImageTowerModule.eval();
        using var optimizer = torch.optim.AdamW(model.parameters().Where(p => p.requires_grad), options.LearningRate, weight_decay: options.WeightDecay);
        var random = new Random(options.Seed);
        var losses = new List<double>();
        int length = checkpoint.Tokenizer.MaxLength;

        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            var order = Enumerable.Range(0, usable.Count).ToArray();
            random.Shuffle(order);
            double weightedSum = 0;
            double weightTotal = 0;
            for (int start = 0; start < order.Length; start += options.BatchSize)
            {
                using var scope = torch.NewDisposeScope();
                var batch = order[start..Math.Min(order.Length, start + options.BatchSize)].Select(i => usable[i]).ToList();
                var tokenIds = new long[2 * batch.Count * length];
                for (int k = 0; k < batch.Count; k++)
                {
                    checkpoint.Tokenizer.Encode(batch[k].Pair.Chosen, tokenIds.AsSpan(k * length, length));
                    checkpoint.Tokenizer.Encode(batch[k].Pair.Rejected, tokenIds.AsSpan((batch.Count + k) * length, length));
                }

                var images = imageEmbeddings.index_select(0, torch.tensor(batch.Select(p => (long)imageIndex[p.Pair.ImagePath]).ToArray()).to(device));
                var texts = model.EncodeTexts(torch.tensor(tokenIds, [2L * batch.Count, length]).to(device));
                var chosen = model.Reward(images, texts[..batch.Count]);
                var rejected = model.Reward(images, texts[batch.Count..]);
                var weights = torch.tensor(batch.Select(p => (float)p.Weight).ToArray()).to(device);
                var perPair = torch.nn.functional.softplus(-(chosen - rejected)).reshape(-1);
                var loss = (perPair * weights).sum() / weights.sum();

                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                double batchWeight = batch.Sum(p => p.Weight);
                weightedSum += loss.item<float>() * batchWeight;
                weightTotal += batchWeight;
            }

            losses.Add(weightedSum / weightTotal);
            logger.LogInformation("Fine-tuning {ModelVersion}: epoch {Epoch}/{Epochs}, weighted Bradley-Terry loss {Loss:F4}",
                options.ModelVersion, epoch + 1, options.Epochs, losses[^1]);
        }

        model.eval();
        checkpoint.Metadata = checkpoint.Metadata with
        {
            ModelVersion = options.ModelVersion,
            CreatedAt = DateTimeOffset.UtcNow,
            Evaluation = null,
        };
        checkpoint.Save(options.OutputDirectory);
        logger.LogInformation("Saved fine-tuned {ModelVersion} from {BaseCheckpoint} to {Directory} after {Seconds:F1} s ({Pairs} pairs, {Skipped} skipped)",
            options.ModelVersion, options.BaseCheckpoint, options.OutputDirectory, started.Elapsed.TotalSeconds, usable.Count, skipped);
        return new FineTuneReport(options.ModelVersion, options.OutputDirectory, usable.Count, skipped, losses, started.Elapsed.TotalSeconds);
    }

    // Encodes each distinct image once with the frozen tower; images that fail to load are left out with a warning.
    private static (Tensor Embeddings, Dictionary<string, int> Index) EncodeImages(
        RewardModel model, ImageLoader loader, IReadOnlyList<WeightedPair> pairs, Device device, ILogger logger)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var pixels = new List<float[]>();
        foreach (var path in pairs.Select(p => p.Pair.ImagePath).Distinct(StringComparer.Ordinal))
        {
            try
            {
                pixels.Add(loader.Load(path));
                index[path] = pixels.Count - 1;
            }
            catch (ImageLoadException ex)
            {
                logger.LogWarning("Fine-tuning skips pairs of image {ImagePath}: {Reason}: {Detail}", path, ex.Reason, ex.Message);
            }
        }

        if (pixels.Count == 0)
        {
            return (torch.zeros(0), index);
        }

        int side = model.Options.InputSize;
        var flat = new float[pixels.Count * 3 * side * side];
        for (int i = 0; i < pixels.Count; i++)
        {
            pixels[i].CopyTo(flat, i * 3 * side * side);
        }

        using var noGrad = torch.no_grad();
        model.eval();
        var chunks = new List<Tensor>();
        for (int start = 0; start < pixels.Count; start += 128)
        {
            int count = Math.Min(128, pixels.Count - start);
            using var input = torch.tensor(flat.AsSpan(start * 3 * side * side, count * 3 * side * side).ToArray(), [count, 3, side, side]).to(device);
            chunks.Add(model.EncodeImages(input));
        }

        var all = torch.cat(chunks, 0);
        foreach (var chunk in chunks)
        {
            chunk.Dispose();
        }

        return (all, index);
    }
}
