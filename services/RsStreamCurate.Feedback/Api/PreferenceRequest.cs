using System.Text.Json;
using System.Text.Json.Serialization;

namespace RsStreamCurate.Feedback.Api;

/// <summary>
/// One preference as a client sends it. Each side is given either as a candidate id from the catalog or as
/// the caption text, not both.
/// </summary>
public sealed record PreferenceRequest
{
    public string? ImageId { get; init; }

    public string? ChosenCandidateId { get; init; }

    public string? RejectedCandidateId { get; init; }

    public string? ChosenText { get; init; }

    public string? RejectedText { get; init; }

    /// <summary>Quality dimension, one of <see cref="QualityDimensions.All"/>, or null for overall quality.</summary>
    public string? Dimension { get; init; }

    public string? Comment { get; init; }
}

/// <summary>Quality dimensions that a label may judge.</summary>
public static class QualityDimensions
{
    public static readonly IReadOnlyList<string> All = ["relevance", "specificity", "completeness", "clarity", "richness"];

    /// <summary>Metric label value of a label without a dimension.</summary>
    public const string None = "none";
}

/// <summary>Request to stop offering a pair to the calling labeller.</summary>
public sealed record SkipRequest
{
    public string? ImageId { get; init; }

    public IReadOnlyList<string>? CandidateIds { get; init; }
}

/// <summary>JSON settings of the HTTP API: snake_case names, nulls left out.</summary>
public static class FeedbackJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
