using System.Text.Json.Serialization;

namespace RsStreamCurate.Curation.Sinks;

/// <summary>
/// One line of <c>manifest.jsonl</c>: a window that the dataset sink wrote. <see cref="ShardFile"/> is null
/// when every kept candidate of the window had been written before, so no shard was needed.
/// </summary>
public sealed record ManifestEntry
{
    public required string WindowId { get; init; }
    public required string ModelVersion { get; init; }
    public required int Size { get; init; }
    public required int Kept { get; init; }
    public required int RowsWritten { get; init; }

    /// <summary>Kept candidates left out of the shard because an earlier window had written them.</summary>
    public required int RowsSkipped { get; init; }

    public required double Threshold { get; init; }
    public required double Fraction { get; init; }
    public required string CloseReason { get; init; }

    /// <summary>Shard path relative to the dataset directory, with forward slashes, or null.</summary>
    public string? ShardFile { get; init; }

    public required DateTimeOffset OpenedAt { get; init; }
    public required DateTimeOffset ClosedAt { get; init; }
    public required DateTimeOffset WrittenAt { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(ManifestEntry))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
