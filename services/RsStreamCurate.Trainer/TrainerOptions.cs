using System.ComponentModel.DataAnnotations;

namespace RsStreamCurate.Trainer;

/// <summary>Settings of the trainer that retrains the reward model on human labels, bound from the <c>Trainer</c> section.</summary>
public sealed class TrainerOptions
{
    public const string SectionName = "Trainer";

    /// <summary>
    /// RSICD-style manifest that provides the synthetic preference pairs (train and val images) and the synthetic half
    /// of the held-out set (test images). Human labels are matched to its images by image id.
    /// </summary>
    [Required(ErrorMessage = "Trainer:Manifest is required: set it to the RSICD-style manifest of the training images.")]
    public string Manifest { get; set; } = string.Empty;

    /// <summary>Folder that the manifest's image paths are relative to; defaults to the manifest's folder.</summary>
    public string? ImageRoot { get; set; }

    /// <summary>Registry folder that receives new checkpoints and the version log.</summary>
    [Required(ErrorMessage = "Trainer:RegistryDirectory is required: set it to the folder of the model registry.")]
    public string RegistryDirectory { get; set; } = "models";

    /// <summary>
    /// Npgsql connection string of the production registry table. When set, every version is also recorded in
    /// PostgreSQL (see <c>rscurate models list --postgres</c>); checkpoints stay in <see cref="RegistryDirectory"/>.
    /// </summary>
    public string? RegistryPostgresConnectionString { get; set; }

    /// <summary>Checkpoint registered as the first version when the registry is empty.</summary>
    [Required(ErrorMessage = "Trainer:InitialCheckpoint is required: the checkpoint the scorers start with.")]
    public string InitialCheckpoint { get; set; } = string.Empty;

    /// <summary>Label store folder of the feedback service (JSONL); ignored when <see cref="LabelPostgresConnectionString"/> is set.</summary>
    public string LabelDirectory { get; set; } = "feedback-data";

    public string? LabelPostgresConnectionString { get; set; }

    public string LabelPostgresTable { get; set; } = "preferences";

    /// <summary>Weight of a human label relative to a synthetic pair in the fine-tuning loss.</summary>
    [Range(0.01, 1000, ErrorMessage = "Trainer:HumanLabelWeight must be between 0.01 and 1000.")]
    public double HumanLabelWeight { get; set; } = 5;

    /// <summary>Fraction of human labels held out (chosen by hashing the label id, so the set is stable) for evaluation.</summary>
    [Range(0, 0.9, ErrorMessage = "Trainer:HumanHoldOutFraction must be between 0 and 0.9.")]
    public double HumanHoldOutFraction { get; set; } = 0.2;

    /// <summary>A candidate is promoted unless its held-out accuracy is below the current model's by more than this.</summary>
    [Range(0, 1, ErrorMessage = "Trainer:Tolerance must be between 0 and 1.")]
    public double Tolerance { get; set; } = 0.01;

    [Range(1, 100, ErrorMessage = "Trainer:Epochs must be between 1 and 100.")]
    public int Epochs { get; set; } = 3;

    public double LearningRate { get; set; } = 3e-4;

    public int Seed { get; set; } = 7;
}
