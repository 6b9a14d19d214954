using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace RsStreamCurate.Scoring;

/// <summary>
/// Dual-encoder reward model: a CNN image tower and a transformer text tower project into one embedding
/// space. The reward is a scalar from an MLP head over [image, text, image * text, |image - text|] of the
/// L2-normalised embeddings, plus a learned multiple of their cosine. The cosine alone is the CLIP-score
/// baseline, so the head learns a correction to it.
/// </summary>
/// <remarks>
/// Image embeddings are computed separately (<see cref="EncodeImages"/>) so that callers can cache them per
/// image, and the text tower and head run batched over any number of captions.
/// </remarks>
public sealed class RewardModel : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ImageTower image_tower;
    private readonly TextTower text_tower;
    private readonly Sequential reward_head;
    private readonly Parameter logit_scale;
    private readonly Parameter cosine_weight;

    public RewardModel(RewardModelOptions options) : base(nameof(RewardModel))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;

        image_tower = new ImageTower(options);
        text_tower = new TextTower(options);
        int fused = 4 * options.EmbeddingSize;
        reward_head = nn.Sequential(
            ("norm", nn.LayerNorm(fused)),
            ("hidden", nn.Linear(fused, options.HeadHidden)),
            ("relu", nn.ReLU()),
            ("dropout", nn.Dropout(options.Dropout)),
            ("output", nn.Linear(options.HeadHidden, 1)));

        // Starts at the InfoNCE temperature 0.07, learned in log space.
        logit_scale = nn.Parameter(torch.tensor(MathF.Log(1f / 0.07f)));

        // Starts at the initial InfoNCE scale, so the untrained head adds to a reward ordered like the CLIP-score.
        cosine_weight = nn.Parameter(torch.tensor(1f / 0.07f));
        RegisterComponents();
    }

    public RewardModelOptions Options { get; }

    /// <summary>Image tower parameters, frozen in the preference stage of training.</summary>
    public nn.Module ImageTowerModule => image_tower;

    /// <summary>Multiplier of cosine similarities in the contrastive loss, exp(logit_scale) capped at 100.</summary>
    public Tensor LogitScale() => logit_scale.clamp(max: MathF.Log(100f)).exp();

    /// <summary>Encodes images of shape (N, 3, InputSize, InputSize) to L2-normalised embeddings (N, EmbeddingSize).</summary>
    public Tensor EncodeImages(Tensor images)
    {
        long size = Options.InputSize;
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] != size || images.shape[3] != size)
        {
            throw new ArgumentException($"Images must have shape (N, 3, {size}, {size}); got ({string.Join(", ", images.shape)}).", nameof(images));
        }

        return F.normalize(image_tower.call(images), p: 2, dim: -1);
    }

    /// <summary>Encodes token ids of shape (N, MaxTokens) to L2-normalised embeddings (N, EmbeddingSize).</summary>
    public Tensor EncodeTexts(Tensor tokenIds)
    {
        if (tokenIds.dim() != 2 || tokenIds.shape[1] != Options.MaxTokens || tokenIds.dtype != ScalarType.Int64)
        {
            throw new ArgumentException(
                $"Token ids must be int64 of shape (N, {Options.MaxTokens}); got {tokenIds.dtype} ({string.Join(", ", tokenIds.shape)}).", nameof(tokenIds));
        }

        return F.normalize(text_tower.call(tokenIds), p: 2, dim: -1);
    }

    /// <summary>Returns the reward (N) for pairs of normalised image and text embeddings, both (N, EmbeddingSize).</summary>
    public Tensor Reward(Tensor imageEmbeddings, Tensor textEmbeddings)
    {
        CheckPairShapes(imageEmbeddings, textEmbeddings);
        using var fused = torch.cat(
            [imageEmbeddings, textEmbeddings, imageEmbeddings * textEmbeddings, (imageEmbeddings - textEmbeddings).abs()],
            dim: -1);
        var cosine = (imageEmbeddings * textEmbeddings).sum(-1);
        return reward_head.call(fused).squeeze(-1) + cosine_weight * cosine;
    }

    /// <summary>Returns the cosine similarity (N) of normalised image and text embeddings: the CLIP-score.</summary>
    public Tensor Cosine(Tensor imageEmbeddings, Tensor textEmbeddings)
    {
        CheckPairShapes(imageEmbeddings, textEmbeddings);
        return (imageEmbeddings * textEmbeddings).sum(-1);
    }

    /// <summary>Returns the reward (N) for images (N, 3, S, S) and token ids (N, MaxTokens).</summary>
    public override Tensor forward(Tensor images, Tensor tokenIds)
    {
        using var imageEmbeddings = EncodeImages(images);
        using var textEmbeddings = EncodeTexts(tokenIds);
        return Reward(imageEmbeddings, textEmbeddings);
    }

    /// <summary>Returns the total number of parameters, trainable and frozen.</summary>
    public long CountParameters() => parameters().Sum(p => p.numel());

    private void CheckPairShapes(Tensor imageEmbeddings, Tensor textEmbeddings)
    {
        long size = Options.EmbeddingSize;
        if (imageEmbeddings.dim() != 2 || textEmbeddings.dim() != 2 || imageEmbeddings.shape[1] != size
            || textEmbeddings.shape[1] != size || imageEmbeddings.shape[0] != textEmbeddings.shape[0])
        {
            throw new ArgumentException(
                $"Image and text embeddings must both have shape (N, {size}); got ({string.Join(", ", imageEmbeddings.shape)}) and ({string.Join(", ", textEmbeddings.shape)}).");
        }
    }

    /// <summary>
    /// Four stride-2 convolution blocks (conv, batch norm, ReLU) that halve the resolution and double the
    /// channels, optionally one more convolution at the lowest resolution, global average pooling and a projection.
    /// Stride-2 convolutions in place of convolution plus max pooling cut the compute about threefold.
    /// </summary>
    private sealed class ImageTower : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential features;
        private readonly Linear projection;

        public ImageTower(RewardModelOptions options) : base(nameof(ImageTower))
        {
            var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
            long inputs = 3;
            long channels = options.ImageBaseChannels;
            for (int block = 0; block < 4; block++)
            {
                layers.Add(($"conv{block}", nn.Conv2d(inputs, channels, 3, stride: 2, padding: 1, bias: false)));
                layers.Add(($"norm{block}", nn.BatchNorm2d(channels)));
                layers.Add(($"relu{block}", nn.ReLU()));
                inputs = channels;
                channels *= 2;
            }

            if (options.ImageFinalConvolution)
            {
                layers.Add(("conv4", nn.Conv2d(inputs, inputs, 3, padding: 1, bias: false)));
                layers.Add(("norm4", nn.BatchNorm2d(inputs)));
                layers.Add(("relu4", nn.ReLU()));
            }

            layers.Add(("pool", nn.AdaptiveAvgPool2d(1)));
            layers.Add(("flatten", nn.Flatten()));
            features = nn.Sequential(layers);
            projection = nn.Linear(inputs, options.EmbeddingSize);
            RegisterComponents();
        }

        public override Tensor forward(Tensor images)
        {
            using var pooled = features.call(images);
            return projection.call(pooled);
        }
    }

    /// <summary>
    /// Token and position embeddings, pre-norm transformer encoder layers, masked mean pooling (optionally
    /// concatenated with the last real token's state) and a projection.
    /// </summary>
    private sealed class TextTower : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding token_embedding;
        private readonly Parameter position_embedding;
        private readonly ModuleList<EncoderLayer> layers;
        private readonly LayerNorm final_norm;
        private readonly Dropout dropout;
        private readonly Linear projection;
        private readonly bool _endTokenPooling;

        public TextTower(RewardModelOptions options) : base(nameof(TextTower))
        {
            _endTokenPooling = options.EndTokenPooling;
            token_embedding = nn.Embedding(options.VocabularySize, options.TextWidth);
            position_embedding = nn.Parameter(torch.randn(options.MaxTokens, options.TextWidth) * 0.02f);
            layers = nn.ModuleList(Enumerable.Range(0, options.TextLayers).Select(_ => new EncoderLayer(options)).ToArray());
            final_norm = nn.LayerNorm(options.TextWidth);
            dropout = nn.Dropout(options.Dropout);
            projection = nn.Linear(options.EndTokenPooling ? 2L * options.TextWidth : options.TextWidth, options.EmbeddingSize);
            RegisterComponents();
        }

        public override Tensor forward(Tensor tokenIds)
        {
            using var scope = torch.NewDisposeScope();

            // Id 0 is padding (see CaptionTokenizer.PadId); position 0 is always <bos>, so no row is all padding.
            // Columns that are padding in every row are cut off first: they are masked out of attention and
            // pooling anyway, and short captions would otherwise pay for the full MaxTokens.
            var keep = tokenIds.ne(0);
            long length = Math.Max(1, keep.any(0).nonzero().max().item<long>() + 1);
            tokenIds = tokenIds.narrow(1, 0, length);
            keep = keep.narrow(1, 0, length);
            var x = dropout.call(token_embedding.call(tokenIds) + position_embedding.narrow(0, 0, length));
            foreach (var layer in layers)
            {
                x = layer.call(x, keep);
            }

            x = final_norm.call(x);
            var weights = keep.unsqueeze(-1).to_type(x.dtype);
            var pooled = (x * weights).sum(1) / weights.sum(1).clamp_min(1f);
            if (_endTokenPooling)
            {
                // Real tokens form a prefix of each row, so the last one sits at count - 1. The count is at least 1 because of <bos>.
                var last = (keep.sum(1) - 1).clamp_min(0).view(-1, 1, 1).expand(-1, 1, x.shape[2]);
                pooled = torch.cat([pooled, x.gather(1, last).squeeze(1)], dim: -1);
            }

            return projection.call(pooled).MoveToOuterDisposeScope();
        }
    }

    /// <summary>Pre-norm transformer encoder layer with multi-head self-attention that ignores padded keys.</summary>
    private sealed class EncoderLayer : nn.Module<Tensor, Tensor, Tensor>
    {
        private readonly int _heads;
        private readonly LayerNorm attention_norm;
        private readonly Linear qkv;
        private readonly Linear attention_output;
        private readonly LayerNorm feed_forward_norm;
        private readonly Sequential feed_forward;
        private readonly Dropout dropout;

        public EncoderLayer(RewardModelOptions options) : base(nameof(EncoderLayer))
        {
            _heads = options.TextHeads;
            attention_norm = nn.LayerNorm(options.TextWidth);
            qkv = nn.Linear(options.TextWidth, 3L * options.TextWidth);
            attention_output = nn.Linear(options.TextWidth, options.TextWidth);
            feed_forward_norm = nn.LayerNorm(options.TextWidth);
            feed_forward = nn.Sequential(
                ("in", nn.Linear(options.TextWidth, options.TextFeedForward)),
                ("gelu", nn.GELU()),
                ("out", nn.Linear(options.TextFeedForward, options.TextWidth)));
            dropout = nn.Dropout(options.Dropout);
            RegisterComponents();
        }

        // x: (N, L, W); keep: (N, L) bool, true for real tokens.
        public override Tensor forward(Tensor x, Tensor keep)
        {
            long batch = x.shape[0], length = x.shape[1], width = x.shape[2];
            long headSize = width / _heads;

            // (N, L, 3W) -> (3, N, heads, L, headSize); the shapes below follow from this reshape, so the
            // matmuls cannot see mismatched operands.
            var projected = qkv.call(attention_norm.call(x))
                .reshape(batch, length, 3, _heads, headSize)
                .permute(2, 0, 3, 1, 4);
            var query = projected[0];
            var key = projected[1];
            var value = projected[2];

            var scores = query.matmul(key.transpose(-2, -1)) / MathF.Sqrt(headSize);
            var padded = keep.logical_not().unsqueeze(1).unsqueeze(1);
            scores = scores.masked_fill(padded, float.NegativeInfinity);
            var attended = scores.softmax(-1).matmul(value)
                .transpose(1, 2)
                .reshape(batch, length, width);

            x = x + dropout.call(attention_output.call(attended));
            return x + dropout.call(feed_forward.call(feed_forward_norm.call(x)));
        }
    }
}
