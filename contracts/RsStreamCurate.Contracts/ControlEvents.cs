namespace RsStreamCurate.Contracts;

/// <summary>A labeller's preference between two captions of one image was stored.</summary>
public sealed record PreferenceRecorded
{
    public int SchemaVersion { get; init; } = SchemaVersions.ControlEvent;
    public required string PreferenceId { get; init; }
    public required string ImageId { get; init; }
    public required string ChosenText { get; init; }
    public required string RejectedText { get; init; }
    public string? ChosenCandidateId { get; init; }
    public string? RejectedCandidateId { get; init; }
    public string? Dimension { get; init; }
    public required string LabellerId { get; init; }
    public DateTimeOffset RecordedAt { get; init; }
}

/// <summary>The retrain policy requests a new reward model from the trainer.</summary>
public sealed record RetrainRequested
{
    public int SchemaVersion { get; init; } = SchemaVersions.ControlEvent;
    public required string RequestId { get; init; }
    public required string BaseModelVersion { get; init; }
    public required int NewLabelCount { get; init; }
    public required string Trigger { get; init; }
    public DateTimeOffset RequestedAt { get; init; }

    /// <summary>Recording time of the oldest label that this request covers.</summary>
    public DateTimeOffset? OldestLabelAt { get; init; }

    /// <summary>True when a trigger fired while a training was running and this request was sent after it finished.</summary>
    public bool Coalesced { get; init; }
}

/// <summary>A retrained model passed evaluation and is now the current version.</summary>
public sealed record ModelPublished
{
    public int SchemaVersion { get; init; } = SchemaVersions.ControlEvent;
    public required string ModelVersion { get; init; }
    public string? ParentVersion { get; init; }
    public required string CheckpointUri { get; init; }
    public required double HeldOutAccuracy { get; init; }
    public double? ParentHeldOutAccuracy { get; init; }
    public int LabelCount { get; init; }
    public DateTimeOffset PublishedAt { get; init; }

    /// <summary><see cref="RetrainRequested.RequestId"/> of the request that started this training, when known.</summary>
    public string? RequestId { get; init; }
}

/// <summary>A retrained model was worse than the current one beyond the tolerance and was not promoted.</summary>
public sealed record ModelRejected
{
    public int SchemaVersion { get; init; } = SchemaVersions.ControlEvent;
    public required string CandidateVersion { get; init; }
    public required string CurrentVersion { get; init; }
    public required double CandidateAccuracy { get; init; }
    public required double CurrentAccuracy { get; init; }
    public required double Tolerance { get; init; }
    public required string Reason { get; init; }
    public DateTimeOffset RejectedAt { get; init; }

    /// <summary><see cref="RetrainRequested.RequestId"/> of the request that started this training, when known.</summary>
    public string? RequestId { get; init; }
}
