using RsStreamCurate.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace RsStreamCurate.Training.Experiments;

/// <summary>Pool images and tokenized candidates as tensors, shared by every training run of an experiment.</summary>
internal sealed class PoolTensors(Tensor images, Tensor tokens, int[] imageOfCandidate, string[] texts) : IDisposable
{
    /// <summary>Pool images, (images, 3, S, S).</summary>
    public Tensor Images { get; } = images;

    /// <summary>Token ids of every candidate, (candidates, MaxTokens).</summary>
    public Tensor Tokens { get; } = tokens;

    public int[] ImageOfCandidate { get; } = imageOfCandidate;

    public string[] Texts { get; } = texts;

    public void Dispose()
    {
        Images.Dispose();
        Tokens.Dispose();
    }
}

/// <summary>Trains a fresh dual encoder with symmetric InfoNCE on a selection of the candidate pool.</summary>
internal static class DualEncoderTraining
{
    // A flip and four 90-degree rotations give the eight symmetries of a square image; RS scenes have no up.
    private const int DihedralVariants = 8;

    /// <summary>
    /// Trains for exactly <see cref="CurationExperimentOptions.Steps"/> steps of
    /// <see cref="CurationExperimentOptions.BatchSize"/> pairs drawn from <paramref name="selected"/> (candidate
    /// indices), whatever the size of the selection, so every selection gets the same compute. Pairs are drawn
    /// in shuffled passes over the selection and the partial batch at the end of a pass is dropped. Returns the
    /// model and the mean loss of the last tenth of the steps.
    /// </summary>
    public static (RewardModel Model, double FinalLoss) Train(
        PoolTensors pool, int[] selected, CurationExperimentOptions options, RewardModelOptions modelOptions, int seed)
    {
        if (selected.Length < 2)
        {
            throw new ArgumentException($"A selection needs at least 2 candidates for contrastive training; it has {selected.Length}.", nameof(selected));
        }

        // NOTE: a selection smaller than the batch size trains on smaller batches. The standard selections of
        // the RSICD pool (487 pairs and more) are far larger than the default batch of 64.
        int batchSize = Math.Min(options.BatchSize, selected.Length);
        torch.manual_seed(seed);
        var random = new Random(seed);
        var model = new RewardModel(modelOptions);
        model.train();
        using var optimizer = torch.optim.AdamW(model.parameters(), options.LearningRate, weight_decay: options.WeightDecay);

        var order = selected.ToArray();
        random.Shuffle(order);
        int position = 0;
        int lastSteps = Math.Max(1, options.Steps / 10);
        double lastLossSum = 0;

        for (int step = 0; step < options.Steps; step++)
        {
            if (position + batchSize > order.Length)
            {
                random.Shuffle(order);
                position = 0;
            }

            var batch = order[position..(position + batchSize)];
            position += batchSize;

            using var scope = torch.NewDisposeScope();
            var imageIndices = torch.tensor(batch.Select(c => (long)pool.ImageOfCandidate[c]).ToArray());
            var images = pool.Images.index_select(0, imageIndices);
            if (options.Augment)
            {
                images = Augment(images, random);
            }

            var tokens = pool.Tokens.index_select(0, torch.tensor(batch.Select(c => (long)c).ToArray()));
            var loss = RewardLosses.Contrastive(
                model.EncodeImages(images), model.EncodeTexts(tokens), model.LogitScale(), PositiveMask(pool, batch));

            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            if (step >= options.Steps - lastSteps)
            {
                lastLossSum += loss.item<float>();
            }
        }

        model.eval();
        return (model, lastLossSum / lastSteps);
    }

    /// <summary>
    /// Returns the (B, B) positive mask of a batch: pairs that share the image or the caption text. Both count as
    /// matches, because a selection can hold several captions of one image and RSICD repeats captions across images.
    /// </summary>
    internal static Tensor PositiveMask(PoolTensors pool, int[] batch)
    {
        int count = batch.Length;
        var mask = new bool[count * count];
        for (int i = 0; i < count; i++)
        {
            for (int j = 0; j < count; j++)
            {
                mask[i * count + j] = pool.ImageOfCandidate[batch[i]] == pool.ImageOfCandidate[batch[j]]
                    || string.Equals(pool.Texts[batch[i]], pool.Texts[batch[j]], StringComparison.Ordinal);
            }
        }

        return torch.tensor(mask, [count, count]);
    }

    // Applies one random dihedral variant to each image of a (B, 3, S, S) batch.
    private static Tensor Augment(Tensor images, Random random)
    {
        var samples = new Tensor[images.shape[0]];
        for (int i = 0; i < samples.Length; i++)
        {
            int variant = random.Next(DihedralVariants);
            var image = images[i];
            var rotated = (variant % 4) == 0 ? image : image.rot90(variant % 4, (1, 2));
            samples[i] = variant >= 4 ? rotated.flip(2) : rotated;
        }

        return torch.stack(samples, 0);
    }
}
