namespace RsStreamCurate.Contracts;

/// <summary>
/// A candidate caption for one image, as produced by a synthesis pipeline. It carries a reference to the
/// image (a path relative to the configured image root), never pixels.
/// </summary>
public sealed record CandidateCaption
{
    public int SchemaVersion { get; init; } = SchemaVersions.CandidateCaption;

    /// <summary>Deterministic id from <see cref="CandidateId.Compute"/>.</summary>
    public required string CandidateId { get; init; }

    /// <summary>Stable image identifier, unique within a data set (for RSICD, the file name).</summary>
    public required string ImageId { get; init; }

    /// <summary>Image path relative to the image root, with forward slashes.</summary>
    public required string ImageUri { get; init; }

    public required string Text { get; init; }

    /// <summary>Name of the generator that wrote the text, for example <c>human</c> or <c>rule.label</c>.</summary>
    public required string Generator { get; init; }

    /// <summary>Optional instruction or question that the text answers.</summary>
    public string? Question { get; init; }

    /// <summary>Scene label of the image, when the source data set has one.</summary>
    public string? Label { get; init; }

    /// <summary>Defect that the generator injected on purpose, or null for a caption meant to be good.</summary>
    public string? Defect { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A candidate caption with the reward score of one model version.</summary>
public sealed record ScoredCandidate
{
    public int SchemaVersion { get; init; } = SchemaVersions.ScoredCandidate;

    public required CandidateCaption Candidate { get; init; }

    /// <summary>Unbounded reward score; only its order within one model version means something.</summary>
    public required double Score { get; init; }

    public required string ModelVersion { get; init; }

    public DateTimeOffset ScoredAt { get; init; }
}

/// <summary>The result of one closed curation window.</summary>
public sealed record CuratedWindow
{
    public int SchemaVersion { get; init; } = SchemaVersions.CuratedWindow;

    public required string WindowId { get; init; }

    public required string ModelVersion { get; init; }

    /// <summary>Number of scored candidates in the window.</summary>
    public required int Size { get; init; }

    /// <summary>Number of candidates kept: ceil(fraction * size) for <c>top_fraction</c>, one per image for <c>best_of_n</c>.</summary>
    public required int Kept { get; init; }

    /// <summary>Selection policy: <c>top_fraction</c> or <c>best_of_n</c>.</summary>
    public string Policy { get; init; } = "top_fraction";

    public required double Fraction { get; init; }

    /// <summary>Lowest kept score, or null when nothing was kept.</summary>
    public double? Threshold { get; init; }

    /// <summary>Why the window closed: <c>count</c>, <c>age</c>, <c>model_version</c> or <c>shutdown</c>.</summary>
    public required string CloseReason { get; init; }

    public DateTimeOffset OpenedAt { get; init; }

    public DateTimeOffset ClosedAt { get; init; }

    /// <summary>Ids of the kept candidates, best first.</summary>
    public IReadOnlyList<string> KeptCandidateIds { get; init; } = [];
}

/// <summary>A message that a stage could not process, with the reason and the original bytes.</summary>
public sealed record DeadLetter
{
    public int SchemaVersion { get; init; } = SchemaVersions.DeadLetter;

    /// <summary>Stage that rejected the message: <c>synthesis</c>, <c>scoring</c> or <c>curation</c>.</summary>
    public required string Stage { get; init; }

    /// <summary>Machine-readable reason, one of <see cref="DeadLetterReasons"/>.</summary>
    public required string Reason { get; init; }

    /// <summary>Human-readable detail that names the offending value.</summary>
    public required string Detail { get; init; }

    public string? SourceTopic { get; init; }

    public int? SourcePartition { get; init; }

    public long? SourceOffset { get; init; }

    /// <summary>Original payload as UTF-8 text, or base64 when <see cref="PayloadIsBase64"/> is set.</summary>
    public string? OriginalPayload { get; init; }

    public bool PayloadIsBase64 { get; init; }

    public DateTimeOffset OccurredAt { get; init; }
}

/// <summary>Dead-letter reasons; also the values of the <c>reason</c> metric label.</summary>
public static class DeadLetterReasons
{
    public const string UnparseableMessage = "unparseable_message";
    public const string UnknownSchemaVersion = "unknown_schema_version";
    public const string MissingField = "missing_field";
    public const string EmptyCaption = "empty_caption";
    public const string ImageNotFound = "image_not_found";
    public const string ImageEmpty = "image_empty";
    public const string ImageTruncated = "image_truncated";
    public const string ImageTooLarge = "image_too_large";
    public const string ImageUnsupported = "image_unsupported";
    public const string PathOutsideImageRoot = "path_outside_image_root";
    public const string InvalidManifestLine = "invalid_manifest_line";
}
