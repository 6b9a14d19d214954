namespace RsStreamCurate.Scoring;

/// <summary>Contents of <c>metadata.json</c> in a checkpoint directory.</summary>
public sealed record CheckpointMetadata
{
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>Version tag attached to every score this model produces, for example <c>reward-v1</c>.</summary>
    public required string ModelVersion { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public required RewardModelOptions Model { get; init; }

    public required TokenizerMetadata Tokenizer { get; init; }

    public long ParameterCount { get; init; }

    /// <summary>How the model was trained, or null for an untrained model.</summary>
    public TrainingLineage? Training { get; init; }

    /// <summary>Held-out evaluation, or null when none was run.</summary>
    public EvaluationMetrics? Evaluation { get; init; }
}

/// <summary>Vocabulary and sequence length of the <see cref="CaptionTokenizer"/>.</summary>
public sealed record TokenizerMetadata(string Kind, int MaxLength, int MinCount, IReadOnlyList<string> Vocabulary);

/// <summary>Seed, data and settings of one training run, enough to repeat it.</summary>
public sealed record TrainingLineage
{
    public required int Seed { get; init; }

    /// <summary>Manifest path as given to the trainer.</summary>
    public required string Manifest { get; init; }

    /// <summary>
    /// SHA-256 (hex) over the manifest lines of the training images, in manifest order, followed by the bytes of
    /// each imported preference file.
    /// </summary>
    public required string DataDigest { get; init; }

    public required int TrainImageCount { get; init; }

    public required int ContrastivePairCount { get; init; }

    public required int PreferencePairCount { get; init; }

    /// <summary>Pairs imported from preference files, included in <see cref="PreferencePairCount"/>.</summary>
    public int ImportedPairCount { get; init; }

    /// <summary>Preference files whose pairs were imported, as given to the trainer; their contents are in <see cref="DataDigest"/>.</summary>
    public IReadOnlyList<string>? PreferenceFiles { get; init; }

    /// <summary>Defect kinds of the rejected training captions, by snake_case name.</summary>
    public IReadOnlyList<string>? DefectKinds { get; init; }

    /// <summary>Optimiser and schedule settings by name.</summary>
    public required IReadOnlyDictionary<string, double> Hyperparameters { get; init; }

    public double TrainingSeconds { get; init; }

    public int TorchThreads { get; init; }
}

/// <summary>Held-out preference-pair accuracy of the learned reward and of the CLIP-score baseline.</summary>
public sealed record EvaluationMetrics
{
    /// <summary>Which images the pairs come from, for example <c>rsicd_official_split=test</c>.</summary>
    public required string Split { get; init; }

    public required int ImageCount { get; init; }

    /// <summary>Defect kinds of the rejected test captions, by snake_case name; relevance pairs come on top.</summary>
    public IReadOnlyList<string>? DefectKinds { get; init; }

    public required PairAccuracy Overall { get; init; }

    /// <summary>Accuracy by rejected-caption kind (a defect kind or <c>relevance</c>).</summary>
    public required IReadOnlyDictionary<string, PairAccuracy> ByKind { get; init; }

    /// <summary>
    /// Accuracy by quality dimension (relevance, specificity, completeness, clarity, richness), pooling the kinds
    /// of each dimension; relevance pairs count towards relevance. Null in checkpoints written before it existed.
    /// </summary>
    public IReadOnlyDictionary<string, PairAccuracy>? ByDimension { get; init; }

    /// <summary>CLIP-score accuracy of the encoder right after contrastive pre-training, before the preference stage.</summary>
    public double? PretrainedClipScoreAccuracy { get; init; }
}

/// <summary>
/// Fraction of pairs where the chosen caption scores strictly higher than the rejected one, for the learned
/// reward and for the cosine (CLIP-score) of the same encoder.
/// </summary>
public sealed record PairAccuracy(int Pairs, double Learned, double ClipScore);
