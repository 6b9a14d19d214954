using System.Text.Json.Serialization;

namespace RsStreamCurate.ScoringApi;

/// <summary>Body of <c>POST /v1/score</c>.</summary>
public sealed record ScoreRequest
{
    [JsonPropertyName("items")]
    public List<ScoreItem>? Items { get; init; }
}

/// <summary>One image-text pair: the image as a path under the scorer's image root or as base64 bytes.</summary>
public sealed record ScoreItem
{
    /// <summary>Image path relative to the image root.</summary>
    [JsonPropertyName("image")]
    public string? Image { get; init; }

    /// <summary>Encoded image file (JPEG, PNG or TIFF) in base64.</summary>
    [JsonPropertyName("image_base64")]
    public string? ImageBase64 { get; init; }

    [JsonPropertyName("text")]
    public string? Text { get; init; }

    /// <summary>Question that the text answers. Validated and echoed, but not an input of the current dual-encoder model.</summary>
    [JsonPropertyName("question")]
    public string? Question { get; init; }
}

/// <summary>Body of a successful response: one result per item, in request order.</summary>
public sealed record ScoreResponse(
    [property: JsonPropertyName("model_version")] string ModelVersion,
    [property: JsonPropertyName("results")] IReadOnlyList<ScoreResult> Results);

/// <summary>Reward score of one item and the CLIP-score (cosine) of the same encoder.</summary>
public sealed record ScoreResult(
    [property: JsonPropertyName("score")] double Score,
    [property: JsonPropertyName("clip_score")] double ClipScore);
