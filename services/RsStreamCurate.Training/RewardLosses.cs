using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace RsStreamCurate.Training;

/// <summary>Loss functions of the two training stages.</summary>
public static class RewardLosses
{
    /// <summary>
    /// Symmetric InfoNCE over a batch of matching image and text embeddings (both (B, E), L2-normalised).
    /// Row i of <paramref name="sameCaption"/> (B, B) marks the texts identical to text i. Those all count as
    /// positives with equal weight, because repeated RSICD captions would otherwise be pushed apart from
    /// images they describe.
    /// </summary>
    public static Tensor Contrastive(Tensor imageEmbeddings, Tensor textEmbeddings, Tensor logitScale, Tensor sameCaption)
    {
        long batch = imageEmbeddings.shape[0];
        if (imageEmbeddings.dim() != 2 || !imageEmbeddings.shape.SequenceEqual(textEmbeddings.shape)
            || sameCaption.dim() != 2 || sameCaption.shape[0] != batch || sameCaption.shape[1] != batch)
        {
            throw new ArgumentException(
                $"Expected image and text embeddings of one shape (B, E) and a (B, B) caption mask; got ({string.Join(", ", imageEmbeddings.shape)}), ({string.Join(", ", textEmbeddings.shape)}) and ({string.Join(", ", sameCaption.shape)}).");
        }

        var logits = imageEmbeddings.matmul(textEmbeddings.t()) * logitScale;
        var targets = sameCaption.to_type(logits.dtype);
        targets = targets / targets.sum(1, keepdim: true);
        var imageToText = -(targets * F.log_softmax(logits, 1)).sum(1).mean();
        var textToImage = -(targets * F.log_softmax(logits.t(), 1)).sum(1).mean();
        return (imageToText + textToImage) / 2;
    }

    /// <summary>Bradley-Terry loss, mean of -log sigmoid(chosen - rejected), computed as softplus(rejected - chosen).</summary>
    public static Tensor BradleyTerry(Tensor chosenRewards, Tensor rejectedRewards)
    {
        if (!chosenRewards.shape.SequenceEqual(rejectedRewards.shape))
        {
            throw new ArgumentException(
                $"Chosen and rejected rewards must have one shape; got ({string.Join(", ", chosenRewards.shape)}) and ({string.Join(", ", rejectedRewards.shape)}).");
        }

        return F.softplus(-(chosenRewards - rejectedRewards)).mean();
    }

    /// <summary>Weighted Bradley-Terry loss: sum of w * softplus(rejected - chosen), divided by the sum of the weights.</summary>
    public static Tensor BradleyTerry(Tensor chosenRewards, Tensor rejectedRewards, Tensor weights)
    {
        if (!chosenRewards.shape.SequenceEqual(rejectedRewards.shape) || !chosenRewards.shape.SequenceEqual(weights.shape))
        {
            throw new ArgumentException(
                $"Chosen rewards, rejected rewards and weights must have one shape; got ({string.Join(", ", chosenRewards.shape)}), ({string.Join(", ", rejectedRewards.shape)}) and ({string.Join(", ", weights.shape)}).");
        }

        return (F.softplus(-(chosenRewards - rejectedRewards)) * weights).sum() / weights.sum().clamp_min(1e-12);
    }

    /// <summary>Returns a (B, B) bool tensor that is true where captions i and j are the same string.</summary>
    public static Tensor SameCaptionMask(IReadOnlyList<string> captions, Device device)
    {
        int count = captions.Count;
        var mask = new bool[count * count];
        for (int i = 0; i < count; i++)
        {
            for (int j = 0; j < count; j++)
            {
                mask[i * count + j] = string.Equals(captions[i], captions[j], StringComparison.Ordinal);
            }
        }

        return torch.tensor(mask, [count, count]).to(device);
    }
}
