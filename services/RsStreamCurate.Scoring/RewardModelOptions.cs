namespace RsStreamCurate.Scoring;

/// <summary>Hyper-parameters that fix the shape of a <see cref="RewardModel"/>; stored in every checkpoint.</summary>
public sealed record RewardModelOptions
{
    /// <summary>Side in pixels of the square image input.</summary>
    public int InputSize { get; init; } = 64;

    /// <summary>Output channels of the first convolution block; each of the next three blocks doubles it.</summary>
    public int ImageBaseChannels { get; init; } = 32;

    /// <summary>
    /// Whether the image tower ends with a 3x3 convolution block at the lowest resolution, after the four stride-2 blocks.
    /// The block costs about 38 % of the image tower's FLOPs at the default sizes. Checkpoints written before this option
    /// existed have the block, so the default is true.
    /// </summary>
    public bool ImageFinalConvolution { get; init; } = true;

    /// <summary>Size of the shared image-text embedding space.</summary>
    public int EmbeddingSize { get; init; } = 256;

    /// <summary>Width of the text transformer (token and position embedding size).</summary>
    public int TextWidth { get; init; } = 128;

    public int TextLayers { get; init; } = 2;

    public int TextHeads { get; init; } = 4;

    public int TextFeedForward { get; init; } = 256;

    /// <summary>Token sequence length, including the leading <c>&lt;bos&gt;</c> token.</summary>
    public int MaxTokens { get; init; } = 32;

    /// <summary>Number of token ids; set from the tokenizer.</summary>
    public int VocabularySize { get; init; }

    /// <summary>
    /// Pool the text tower output as the masked mean concatenated with the state of the last real token
    /// (<c>&lt;eos&gt;</c> for a complete caption). The last token's state shows how the sentence ends, which a mean
    /// blurs, so a cut-off caption is easier to tell apart. False keeps mean pooling only.
    /// </summary>
    public bool EndTokenPooling { get; init; }

    /// <summary>Hidden size of the scalar reward head.</summary>
    public int HeadHidden { get; init; } = 256;

    /// <summary>Dropout probability in the text tower and the reward head during training.</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (InputSize < 16 || InputSize % 16 != 0)
        {
            throw new ArgumentException($"InputSize {InputSize} must be a positive multiple of 16 (four stride-2 convolutions).", nameof(InputSize));
        }

        if (TextWidth % TextHeads != 0)
        {
            throw new ArgumentException($"TextWidth {TextWidth} must be divisible by TextHeads {TextHeads}.", nameof(TextWidth));
        }

        if (VocabularySize < 3)
        {
            throw new ArgumentException($"VocabularySize {VocabularySize} is too small; build the tokenizer first.", nameof(VocabularySize));
        }

        if (ImageBaseChannels <= 0 || EmbeddingSize <= 0 || TextLayers <= 0 || TextFeedForward <= 0 || MaxTokens < 2 || HeadHidden <= 0)
        {
            throw new ArgumentException("ImageBaseChannels, EmbeddingSize, TextLayers, TextFeedForward and HeadHidden must be positive, and MaxTokens at least 2.");
        }

        if (Dropout is < 0 or >= 1)
        {
            throw new ArgumentException($"Dropout {Dropout} must be in [0, 1).", nameof(Dropout));
        }
    }
}
