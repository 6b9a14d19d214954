using RsStreamCurate.Scoring;
using RsStreamCurate.Synthesis;

namespace RsStreamCurate.Training;

/// <summary>Settings of <see cref="RewardTrainer.Train"/>. The defaults train the shipped <c>reward-v2</c> model.</summary>
public sealed record TrainingOptions
{
    /// <summary>RSICD-style JSONL manifest; its train and val images are used for training.</summary>
    public required string ManifestPath { get; init; }

    /// <summary>Folder that image paths are relative to; defaults to the manifest's folder.</summary>
    public string? ImageRoot { get; init; }

    /// <summary>Checkpoint directory to write (created if missing, files in it replaced).</summary>
    public required string OutputDirectory { get; init; }

    public string ModelVersion { get; init; } = "reward-v2";

    /// <summary>Seed of weight initialisation, shuffling, augmentation and preference pairs.</summary>
    public int Seed { get; init; } = 7;

    /// <summary>Model shape; <see cref="RewardModelOptions.VocabularySize"/> and <see cref="RewardModelOptions.MaxTokens"/> are set from the tokenizer.</summary>
    public RewardModelOptions Model { get; init; } = new() { EndTokenPooling = true, ImageFinalConvolution = false };

    /// <summary>Words seen fewer times than this in the training captions get no whole-word token.</summary>
    public int MinTokenCount { get; init; } = 2;

    /// <summary>
    /// Add every character as a WordPiece token, so rarer words split into pieces; false maps them to &lt;unk&gt;.
    /// </summary>
    public bool CharacterPieces { get; init; } = true;

    /// <summary>Epochs of stage 1, contrastive pre-training of both towers.</summary>
    public int ContrastiveEpochs { get; init; } = 20;

    /// <summary>Image-caption pairs per contrastive step.</summary>
    public int ContrastiveBatchSize { get; init; } = 64;

    public double ContrastiveLearningRate { get; init; } = 1e-3;


    /// <summary>Epochs of stage 2, Bradley-Terry training on preference pairs with the image tower frozen.</summary>
    public int PreferenceEpochs { get; init; } = 10;

    /// <summary>Preference pairs per stage-2 step.</summary>
    public int PreferenceBatchSize { get; init; } = 128;

    public double PreferenceLearningRate { get; init; } = 5e-4;

    /// <summary>
    /// Weight of a contrastive term added to every stage-2 step, so the text tower keeps matching images and
    /// the CLIP-score of the final model stays a trained baseline.
    /// </summary>
    public double PreferenceContrastiveWeight { get; init; } = 0.5;

    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Defect kinds used for rejected training captions; null uses <see cref="CaptionDefects.AllKinds"/>.</summary>
    public IReadOnlyList<DefectKind>? DefectKinds { get; init; }

    /// <summary>
    /// Training pairs per chosen caption whose rejected side is a caption of an image with another label.
    /// Evaluation always uses one, so held-out accuracies stay comparable across runs.
    /// </summary>
    public int RelevancePairsPerCaption { get; init; } = 2;

    /// <summary>
    /// Independent draws of the defects for every chosen caption (each with its own relevance pairs). Most defects
    /// are random (which word is swapped, where the text is cut), so more draws give more distinct rejected texts.
    /// </summary>
    public int DefectDrawsPerCaption { get; init; } = 2;

    /// <summary>
    /// Whether every stage-2 epoch draws new defects instead of repeating the first epoch's. The model then trains on many
    /// versions of each kind (a garbled caption can repeat and swap different words) without a larger epoch.
    /// </summary>
    public bool ResampleDefectsEachEpoch { get; init; } = true;

    /// <summary>
    /// Chosen/rejected JSONL files (see <see cref="PreferenceFileReader"/>) whose pairs join the synthetic pairs in
    /// stage 2. Image paths are relative to <see cref="PreferenceImageRoot"/>, or to each file's folder when unset.
    /// </summary>
    public IReadOnlyList<string> PreferenceFiles { get; init; } = [];

    /// <summary>Folder that image paths in <see cref="PreferenceFiles"/> are relative to; null uses each file's folder.</summary>
    public string? PreferenceImageRoot { get; init; }

    /// <summary>Weight of each imported pair in the Bradley-Terry loss; a synthetic pair has weight 1.</summary>
    public double ImportedPairWeight { get; init; } = 1.0;

    /// <summary>Apply random flips and 90-degree rotations to training images.</summary>
    public bool Augment { get; init; } = true;

    /// <summary>Use at most this many training images (in manifest order), for quick runs; null uses all.</summary>
    public int? MaxTrainImages { get; init; }

    /// <summary>Evaluate on the test images after training and store the result in the checkpoint.</summary>
    public bool Evaluate { get; init; } = true;

    /// <summary>Seed of the held-out defects used by the evaluation.</summary>
    public int EvaluationSeed { get; init; } = RewardEvaluator.DefaultSeed;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ManifestPath) || string.IsNullOrWhiteSpace(OutputDirectory) || string.IsNullOrWhiteSpace(ModelVersion))
        {
            throw new ArgumentException("ManifestPath, OutputDirectory and ModelVersion must be set.");
        }

        if (ContrastiveEpochs < 0 || PreferenceEpochs < 0 || ContrastiveBatchSize < 2 || PreferenceBatchSize < 1)
        {
            throw new ArgumentException(
                $"Epochs must be non-negative, ContrastiveBatchSize at least 2 and PreferenceBatchSize at least 1 (got {ContrastiveEpochs}, {PreferenceEpochs}, {ContrastiveBatchSize}, {PreferenceBatchSize}).");
        }

        if (ContrastiveLearningRate <= 0 || PreferenceLearningRate <= 0 || WeightDecay < 0 || PreferenceContrastiveWeight < 0)
        {
            throw new ArgumentException("Learning rates must be positive, and WeightDecay and PreferenceContrastiveWeight non-negative.");
        }

        if (DefectDrawsPerCaption < 1 || ImportedPairWeight <= 0 || !double.IsFinite(ImportedPairWeight))
        {
            throw new ArgumentException(
                $"DefectDrawsPerCaption must be at least 1 and ImportedPairWeight positive and finite (got {DefectDrawsPerCaption}, {ImportedPairWeight}).");
        }

        if (PreferenceFiles.FirstOrDefault(string.IsNullOrWhiteSpace) is not null)
        {
            throw new ArgumentException("PreferenceFiles contains an empty path.", nameof(PreferenceFiles));
        }

        if (RelevancePairsPerCaption < 0)
        {
            throw new ArgumentException($"RelevancePairsPerCaption must be non-negative (got {RelevancePairsPerCaption}).", nameof(RelevancePairsPerCaption));
        }

        if (MinTokenCount < 1 || MaxTrainImages is < 2)
        {
            throw new ArgumentException($"MinTokenCount must be at least 1 and MaxTrainImages at least 2 (got {MinTokenCount}, {MaxTrainImages}).");
        }
    }
}

/// <summary>What one training run did and produced.</summary>
public sealed record TrainingReport
{
    public required string ModelVersion { get; init; }

    public required string CheckpointDirectory { get; init; }

    public required long ParameterCount { get; init; }

    /// <summary>Size of model.bin plus metadata.json.</summary>
    public required long CheckpointBytes { get; init; }

    public required int TrainImages { get; init; }

    /// <summary>Training images left out because they could not be loaded.</summary>
    public required int SkippedImages { get; init; }

    public required int ContrastivePairs { get; init; }

    public required int PreferencePairs { get; init; }

    /// <summary>Pairs read from <see cref="TrainingOptions.PreferenceFiles"/> and used in stage 2.</summary>
    public int ImportedPairs { get; init; }

    /// <summary>Imported pairs left out because their image could not be loaded.</summary>
    public int SkippedImportedPairs { get; init; }

    /// <summary>Mean stage-1 loss of each epoch.</summary>
    public required IReadOnlyList<double> ContrastiveEpochLosses { get; init; }

    /// <summary>Mean stage-2 Bradley-Terry loss of each epoch (without the contrastive term).</summary>
    public required IReadOnlyList<double> PreferenceEpochLosses { get; init; }

    public required double ContrastiveSeconds { get; init; }

    public required double PreferenceSeconds { get; init; }

    public required double TotalSeconds { get; init; }

    public required string DataDigest { get; init; }

    /// <summary>Held-out evaluation, or null when it was switched off or there are no test images.</summary>
    public EvaluationReport? Evaluation { get; init; }
}
