namespace RsStreamCurate.Scoring.Registry;

/// <summary>Registry states of a model version.</summary>
public static class ModelStatus
{
    /// <summary>The first version, imported from a shipped or hand-trained checkpoint.</summary>
    public const string Bootstrap = "bootstrap";

    /// <summary>Passed evaluation and became the current version.</summary>
    public const string Published = "published";

    /// <summary>Worse than its parent beyond the tolerance, so never used for scoring.</summary>
    public const string Rejected = "rejected";
}

/// <summary>One reward-model version in the registry, with its lineage and evaluation.</summary>
public sealed record ModelRecord
{
    public required string Version { get; init; }

    public string? ParentVersion { get; init; }

    /// <summary>One of <see cref="ModelStatus"/>.</summary>
    public required string Status { get; init; }

    /// <summary>Checkpoint directory of this version.</summary>
    public required string CheckpointPath { get; init; }

    /// <summary>Held-out pair accuracy of this version, on the evaluation set that decided its promotion.</summary>
    public double? HeldOutAccuracy { get; init; }

    /// <summary>Held-out pair accuracy of the parent on the same evaluation set.</summary>
    public double? ParentHeldOutAccuracy { get; init; }

    /// <summary>Human preference labels the version was trained on.</summary>
    public int LabelCount { get; init; }

    /// <summary>SHA-256 of the training data, from the checkpoint's lineage.</summary>
    public string? DataDigest { get; init; }

    /// <summary>Why the version was rejected, or a note on how it was made.</summary>
    public string? Reason { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}
