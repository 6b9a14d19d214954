using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using RsStreamCurate.Feedback.Api;

namespace RsStreamCurate.Feedback;

/// <summary>Settings of the feedback service, bound from the <c>Feedback</c> configuration section.</summary>
public sealed class FeedbackOptions
{
    public const string SectionName = "Feedback";

    /// <summary>
    /// API keys by labeller id, for example <c>Feedback:ApiKeys:alice</c>. A value is either the key itself or
    /// <c>sha256:</c> followed by the 64 hex digits of the SHA-256 of the key, so that the configuration need not
    /// contain the key.
    /// </summary>
    public Dictionary<string, string> ApiKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>HTTP header that carries the API key.</summary>
    public string ApiKeyHeader { get; set; } = "X-Api-Key";

    /// <summary>Folder that the image URIs of scored candidates are relative to; <c>/v1/images</c> serves only files under it.</summary>
    public string ImageRoot { get; set; } = "images";

    /// <summary>Folder of the embedded label store (<c>preferences.jsonl</c>), used when no PostgreSQL connection string is set.</summary>
    public string DataDirectory { get; set; } = "feedback-data";

    /// <summary>Npgsql connection string. When it is set, labels are stored in PostgreSQL instead of the data directory.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Table of stored labels, optionally schema-qualified (<c>schema.table</c>).</summary>
    public string PostgresTable { get; set; } = "preferences";

    /// <summary>Maximum number of preferences in one POST.</summary>
    public int MaxBatchSize { get; set; } = 100;

    /// <summary>Maximum length of a caption text, in characters.</summary>
    public int MaxTextLength { get; set; } = 2000;

    /// <summary>Maximum length of a comment, in characters.</summary>
    public int MaxCommentLength { get; set; } = 2000;

    /// <summary>Maximum size of a request body, in bytes.</summary>
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Requests that one API key may make per <see cref="RateLimitWindow"/>.</summary>
    public int RateLimitPermits { get; set; } = 120;

    /// <summary>Window of the per-key fixed-window rate limit.</summary>
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Maximum number of images in the candidate catalog; the image updated longest ago is evicted first.</summary>
    public int CatalogMaxImages { get; set; } = 100_000;

    /// <summary>Maximum number of candidates kept per image; the candidate scored longest ago is evicted first.</summary>
    public int CatalogMaxCandidatesPerImage { get; set; } = 16;

    /// <summary>When true, a Kafka consumer fills the catalog from <c>rs.scored</c>.</summary>
    public bool ConsumeScored { get; set; } = true;

    /// <summary>Kafka consumer group of the catalog consumer. Each feedback instance needs every image, so give each instance its own group.</summary>
    public string GroupId { get; set; } = "rscurate-feedback";
}

/// <summary>Validates <see cref="FeedbackOptions"/> at start and names each invalid setting.</summary>
public sealed partial class FeedbackOptionsValidator : IValidateOptions<FeedbackOptions>
{
    public ValidateOptionsResult Validate(string? name, FeedbackOptions options)
    {
        var failures = new List<string>();
        const string section = FeedbackOptions.SectionName;

        if (options.ApiKeys.Count == 0)
        {
            failures.Add($"{section}:ApiKeys is empty; add at least one entry {section}:ApiKeys:<labeller id> = <key or sha256:hex>.");
        }

        foreach (var (labeller, key) in options.ApiKeys)
        {
            if (!LabellerIdRegex().IsMatch(labeller))
            {
                failures.Add($"{section}:ApiKeys has the labeller id '{labeller}', but a labeller id must match {LabellerIdPattern}.");
            }

            if (string.IsNullOrWhiteSpace(key))
            {
                failures.Add($"{section}:ApiKeys:{labeller} is empty; set a key of at least 16 characters or sha256:<64 hex digits>.");
            }
            else if (key.StartsWith(ApiKeyHash.Prefix, StringComparison.Ordinal))
            {
                if (!ApiKeyHash.TryParse(key, out _))
                {
                    failures.Add($"{section}:ApiKeys:{labeller} starts with '{ApiKeyHash.Prefix}' but is not followed by 64 hex digits.");
                }
            }
            else if (key.Length < ApiKeyHash.MinKeyLength)
            {
                // The key itself is never repeated in a message, only its length.
                failures.Add($"{section}:ApiKeys:{labeller} is {key.Length} characters long; use at least {ApiKeyHash.MinKeyLength}.");
            }
        }

        if (string.IsNullOrWhiteSpace(options.ApiKeyHeader))
        {
            failures.Add($"{section}:ApiKeyHeader is missing; set the name of the HTTP header that carries the key, such as X-Api-Key.");
        }

        if (string.IsNullOrWhiteSpace(options.ImageRoot))
        {
            failures.Add($"{section}:ImageRoot is missing; set it to the folder that image URIs are relative to.");
        }

        if (string.IsNullOrWhiteSpace(options.PostgresConnectionString))
        {
            if (string.IsNullOrWhiteSpace(options.DataDirectory))
            {
                failures.Add($"{section}:DataDirectory is missing; set a folder for the label store or set {section}:PostgresConnectionString.");
            }
        }
        else if (!TableNameRegex().IsMatch(options.PostgresTable ?? string.Empty))
        {
            failures.Add($"{section}:PostgresTable must be a lower-case table name, optionally schema-qualified, matching {TableNamePattern}, but is '{options.PostgresTable}'.");
        }

        AddIfOutOfRange(failures, "MaxBatchSize", options.MaxBatchSize, 1, 10_000);
        AddIfOutOfRange(failures, "MaxTextLength", options.MaxTextLength, 1, 100_000);
        AddIfOutOfRange(failures, "MaxCommentLength", options.MaxCommentLength, 0, 100_000);
        AddIfOutOfRange(failures, "MaxRequestBytes", options.MaxRequestBytes, 1024, 64 * 1024 * 1024);
        AddIfOutOfRange(failures, "RateLimitPermits", options.RateLimitPermits, 1, 1_000_000);
        AddIfOutOfRange(failures, "CatalogMaxImages", options.CatalogMaxImages, 1, 10_000_000);
        AddIfOutOfRange(failures, "CatalogMaxCandidatesPerImage", options.CatalogMaxCandidatesPerImage, 2, 256);

        if (options.RateLimitWindow <= TimeSpan.Zero)
        {
            failures.Add($"{section}:RateLimitWindow must be a positive duration such as 00:01:00, but is {options.RateLimitWindow}.");
        }

        if (options.ConsumeScored && string.IsNullOrWhiteSpace(options.GroupId))
        {
            failures.Add($"{section}:GroupId is missing; set the Kafka consumer group of the catalog consumer.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal const string LabellerIdPattern = "^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$";

    private const string TableNamePattern = "^[a-z_][a-z0-9_]{0,62}(\\.[a-z_][a-z0-9_]{0,62})?$";

    private static void AddIfOutOfRange(List<string> failures, string setting, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{FeedbackOptions.SectionName}:{setting} must be between {min} and {max}, but is {value}.");
        }
    }

    [GeneratedRegex(LabellerIdPattern, RegexOptions.CultureInvariant)]
    internal static partial Regex LabellerIdRegex();

    [GeneratedRegex(TableNamePattern, RegexOptions.CultureInvariant)]
    private static partial Regex TableNameRegex();
}
