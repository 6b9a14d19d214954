namespace RsStreamCurate.Scoring;

/// <summary>Floating-point operations of one forward pass, split by the part of the model that runs them.</summary>
/// <param name="ImageTower">Convolutions and projection for one image; skipped when the embedding is cached.</param>
/// <param name="TextTower">Transformer layers and projection for one caption of <see cref="RewardModelOptions.MaxTokens"/> tokens.</param>
/// <param name="Head">Fused reward head and the cosine for one pair.</param>
public sealed record ModelFlops(long ImageTower, long TextTower, long Head)
{
    /// <summary>Operations for a pair whose image embedding is not cached.</summary>
    public long ColdPair => ImageTower + TextTower + Head;

    /// <summary>Operations for a pair whose image embedding is cached.</summary>
    public long WarmPair => TextTower + Head;

    /// <summary>
    /// Estimates the operations of <see cref="RewardModel"/> with these options, counting a multiply-add as two and
    /// leaving out normalisation, activations, pooling and softmax (a few percent at these sizes).
    /// </summary>
    /// <remarks>NOTE: this mirrors the layers built in <see cref="RewardModel"/>; change both together.</remarks>
    public static ModelFlops Estimate(RewardModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // Image tower: four 3x3 convolutions with stride 2 that double the channels, an optional 3x3 convolution at the last
        // size, global average pooling and a linear projection.
        long image = 0;
        long side = options.InputSize;
        long inputs = 3;
        long channels = options.ImageBaseChannels;
        for (int block = 0; block < 4; block++)
        {
            side = (side + 1) / 2;
            image += 2 * inputs * channels * 9 * side * side;
            inputs = channels;
            channels *= 2;
        }

        if (options.ImageFinalConvolution)
        {
            image += 2 * inputs * inputs * 9 * side * side;
        }

        image += 2 * inputs * options.EmbeddingSize;

        // Text tower: per layer, the QKV projection, the two attention products, the output projection and the
        // feed-forward block over every token position. The pooled vector (the mean, or the mean and the last
        // token's state) is then projected once.
        long length = options.MaxTokens;
        long width = options.TextWidth;
        long perLayer = 2 * length * width * 3 * width
            + 2 * 2 * length * length * width
            + 2 * length * width * width
            + 2 * 2 * length * width * options.TextFeedForward;
        long pooledWidth = options.EndTokenPooling ? 2 * width : width;
        long text = options.TextLayers * perLayer + 2 * pooledWidth * options.EmbeddingSize;

        // Head: a linear layer on [image, text, image * text, |image - text|], the output unit and the cosine.
        long fused = 4L * options.EmbeddingSize;
        long head = 2 * fused * options.HeadHidden + 2 * options.HeadHidden + 2 * options.EmbeddingSize;

        return new ModelFlops(image, text, head);
    }
}
