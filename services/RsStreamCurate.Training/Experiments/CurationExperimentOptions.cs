using RsStreamCurate.Scoring;

namespace RsStreamCurate.Training.Experiments;

/// <summary>Settings of <see cref="CurationExperiment.Run"/>. The defaults finish in a few minutes on 2 CPU cores.</summary>
public sealed record CurationExperimentOptions
{
    /// <summary>RSICD-style JSONL manifest whose images make up the candidate pool.</summary>
    public required string TrainManifestPath { get; init; }

    /// <summary>RSICD-style JSONL manifest of held-out images for zero-shot classification, retrieval and best-of-N.</summary>
    public required string EvalManifestPath { get; init; }

    /// <summary>Folder that image paths of both manifests are relative to; null uses each manifest's own folder.</summary>
    public string? ImageRoot { get; init; }

    /// <summary>Reward-model checkpoint that scores the pool (learned score and CLIP-score).</summary>
    public required string CheckpointDirectory { get; init; }

    /// <summary>Training runs per selection; run i uses seed <see cref="FirstSeed"/> + i.</summary>
    public int Seeds { get; init; } = 3;

    public int FirstSeed { get; init; } = 1;

    /// <summary>Optimisation steps of every training run, the same for every selection.</summary>
    public int Steps { get; init; } = 150;

    /// <summary>Image-caption pairs per step, the same for every selection.</summary>
    public int BatchSize { get; init; } = 64;

    public double LearningRate { get; init; } = 2e-3;

    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Apply a random flip and 90-degree rotation to every training image.</summary>
    public bool Augment { get; init; } = true;

    /// <summary>
    /// Shape of the fresh dual encoders; the vocabulary size and token length are set from the tokenizer.
    /// The reward head exists in the model but is not trained or used.
    /// </summary>
    public RewardModelOptions Model { get; init; } = new()
    {
        InputSize = 32,
        ImageBaseChannels = 16,
        EmbeddingSize = 64,
        TextWidth = 64,
        TextLayers = 1,
        TextHeads = 2,
        TextFeedForward = 128,
        HeadHidden = 8,
        MaxTokens = 24,
    };

    /// <summary>Words seen fewer times than this in the pool's captions map to &lt;unk&gt;.</summary>
    public int MinTokenCount { get; init; } = 2;

    /// <summary>Seed of caption synthesis for the training pool; the held-out candidates use this seed plus one.</summary>
    public int PoolSeed { get; init; } = 17;

    /// <summary>Defective captions synthesized per image.</summary>
    public int DefectsPerImage { get; init; } = 4;

    /// <summary>Use at most this many images of each manifest (in file order), for quick runs; null uses all.</summary>
    public int? MaxImages { get; init; }

    /// <summary>Selections to train on; every one gets the same steps, batch size and seeds.</summary>
    public IReadOnlyList<SelectionSpec> Selections { get; init; } = SelectionSpec.Standard;

    /// <summary>Zero-shot prompt templates; {0} is the scene phrase. The class embedding is the mean over templates.</summary>
    public IReadOnlyList<string> PromptTemplates { get; init; } =
    [
        "a satellite image of a {0}", "an aerial image of a {0}", "a remote sensing image of a {0}",
    ];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(TrainManifestPath) || string.IsNullOrWhiteSpace(EvalManifestPath) || string.IsNullOrWhiteSpace(CheckpointDirectory))
        {
            throw new ArgumentException("TrainManifestPath, EvalManifestPath and CheckpointDirectory must be set.");
        }

        if (Seeds < 1 || Steps < 1 || BatchSize < 2)
        {
            throw new ArgumentException($"Seeds and Steps must be at least 1 and BatchSize at least 2 (got {Seeds}, {Steps}, {BatchSize}).");
        }

        if (LearningRate <= 0 || WeightDecay < 0 || MinTokenCount < 1 || DefectsPerImage < 0 || MaxImages is < 2)
        {
            throw new ArgumentException(
                $"LearningRate must be positive, WeightDecay and DefectsPerImage non-negative, MinTokenCount at least 1 and MaxImages at least 2 (got {LearningRate}, {WeightDecay}, {DefectsPerImage}, {MinTokenCount}, {MaxImages}).");
        }

        if (Selections.Count == 0 || Selections.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count() != Selections.Count)
        {
            throw new ArgumentException("Selections must be non-empty and their names distinct.");
        }

        if (PromptTemplates.Count == 0 || PromptTemplates.Any(t => !t.Contains("{0}", StringComparison.Ordinal)))
        {
            throw new ArgumentException("PromptTemplates must be non-empty and every template must contain {0} for the scene phrase.");
        }
    }
}
