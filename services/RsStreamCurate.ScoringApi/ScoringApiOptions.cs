using System.ComponentModel.DataAnnotations;

namespace RsStreamCurate.ScoringApi;

/// <summary>Request limits of <c>POST /v1/score</c>, bound from the <c>ScoringApi</c> configuration section.</summary>
public sealed class ScoringApiOptions
{
    public const string SectionName = "ScoringApi";

    /// <summary>Items per request; more gets 413.</summary>
    [Range(1, 10_000, ErrorMessage = "ScoringApi:MaxItems must be between 1 and 10000.")]
    public int MaxItems { get; set; } = 256;

    /// <summary>Characters per text or question; longer gets 400.</summary>
    [Range(1, 100_000, ErrorMessage = "ScoringApi:MaxTextLength must be between 1 and 100000.")]
    public int MaxTextLength { get; set; } = 2_000;

    /// <summary>Request body size in bytes, base64 images included; larger gets 413.</summary>
    [Range(1024, 1L << 31, ErrorMessage = "ScoringApi:MaxRequestBytes must be between 1024 and 2147483648.")]
    public long MaxRequestBytes { get; set; } = 64L * 1024 * 1024;
}
