namespace RsStreamCurate.Curation;

/// <summary>Why a window closed. <see cref="CloseReasons.ToLabel"/> gives the wire and metric value.</summary>
public enum CloseReason
{
    /// <summary>The window reached <see cref="CurationOptions.WindowSize"/> distinct candidates.</summary>
    Count,

    /// <summary>The window was older than <see cref="CurationOptions.MaxWindowAge"/>.</summary>
    Age,

    /// <summary>A candidate of another model version arrived.</summary>
    ModelVersion,

    /// <summary>The caller flushed the engine: on shutdown, and also when partitions are revoked.</summary>
    Shutdown,
}

public static class CloseReasons
{
    /// <summary>Returns the snake_case value used in <c>CuratedWindow.CloseReason</c>, the manifest and metric labels.</summary>
    public static string ToLabel(this CloseReason reason) => reason switch
    {
        CloseReason.Count => "count",
        CloseReason.Age => "age",
        CloseReason.ModelVersion => "model_version",
        CloseReason.Shutdown => "shutdown",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "Unknown close reason."),
    };
}
