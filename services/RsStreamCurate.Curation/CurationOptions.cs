using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace RsStreamCurate.Curation;

/// <summary>Settings of the curation stage, bound from the <c>Curation</c> configuration section.</summary>
public sealed class CurationOptions
{
    public const string SectionName = "Curation";

    /// <summary>How a closed window is reduced to the kept candidates.</summary>
    public CurationPolicy Policy { get; set; } = CurationPolicy.TopFraction;

    /// <summary>Fraction of each window to keep, in (0, 1]. A window of n candidates keeps ceil(Fraction * n).</summary>
    public double Fraction { get; set; } = 0.30;

    /// <summary>Number of distinct candidates at which a window closes.</summary>
    public int WindowSize { get; set; } = 1000;

    /// <summary>Age, measured from the first candidate, at which a window closes even when it is not full.</summary>
    public TimeSpan MaxWindowAge { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Dataset directory that receives <c>shards/</c> and <c>manifest.jsonl</c>.</summary>
    public string OutputDirectory { get; set; } = "curated";

    /// <summary>Npgsql connection string. When it is set, curated windows are also written to PostgreSQL.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Table of curated candidates, optionally schema-qualified (<c>schema.table</c>).</summary>
    public string PostgresTable { get; set; } = "curated_candidates";

    /// <summary>Table of written windows, optionally schema-qualified.</summary>
    public string PostgresWindowsTable { get; set; } = "curation_windows";

    /// <summary>Kafka consumer group of the curators; all instances of the stage share it.</summary>
    public string GroupId { get; set; } = "rscurate-curation";
}

/// <summary>Selection policies of a curation window.</summary>
public enum CurationPolicy
{
    /// <summary>Keep exactly ceil(Fraction * n) highest scores of the window.</summary>
    TopFraction,

    /// <summary>
    /// Keep the best candidate of each image in the window. Candidates are keyed by image id on Kafka, so an
    /// image's candidates arrive together. A window boundary can still split them, and each part then keeps its best.
    /// </summary>
    BestOfN,
}

/// <summary>Validates <see cref="CurationOptions"/> at start and names each invalid setting with its value.</summary>
public sealed partial class CurationOptionsValidator : IValidateOptions<CurationOptions>
{
    public ValidateOptionsResult Validate(string? name, CurationOptions options)
    {
        var failures = new List<string>();
        string section = CurationOptions.SectionName;

        if (!(options.Fraction > 0 && options.Fraction <= 1))
        {
            failures.Add($"{section}:Fraction must be greater than 0 and at most 1, but is {options.Fraction}.");
        }

        if (options.WindowSize < 1)
        {
            failures.Add($"{section}:WindowSize must be at least 1, but is {options.WindowSize}.");
        }

        if (options.MaxWindowAge <= TimeSpan.Zero)
        {
            failures.Add($"{section}:MaxWindowAge must be a positive duration such as 00:00:30, but is {options.MaxWindowAge}.");
        }

        if (string.IsNullOrWhiteSpace(options.OutputDirectory))
        {
            failures.Add($"{section}:OutputDirectory is missing; set it to the dataset directory that receives the shards.");
        }

        if (!string.IsNullOrWhiteSpace(options.PostgresConnectionString))
        {
            ValidateTableName(failures, $"{section}:PostgresTable", options.PostgresTable);
            ValidateTableName(failures, $"{section}:PostgresWindowsTable", options.PostgresWindowsTable);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateTableName(List<string> failures, string setting, string? value)
    {
        if (!SqlIdentifier.IsValidTableName(value))
        {
            failures.Add($"{setting} must be a lower-case table name, optionally schema-qualified, matching {SqlIdentifier.Pattern}, but is '{value}'.");
        }
    }
}

/// <summary>Checks table names that are written into SQL text, because identifiers cannot be bound as parameters.</summary>
public static partial class SqlIdentifier
{
    /// <summary>Pattern of an accepted name: one or two lower-case identifiers of at most 63 characters, joined by a dot.</summary>
    public const string Pattern = "^[a-z_][a-z0-9_]{0,62}(\\.[a-z_][a-z0-9_]{0,62})?$";

    public static bool IsValidTableName(string? value) => value is not null && TableNameRegex().IsMatch(value);

    /// <summary>Returns the schema part of a qualified name, or null for an unqualified one.</summary>
    public static string? SchemaOf(string tableName)
    {
        int dot = tableName.IndexOf('.');
        return dot < 0 ? null : tableName[..dot];
    }

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex TableNameRegex();
}
