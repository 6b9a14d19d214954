using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace RsStreamCurate.Feedback.Storage;

/// <summary>One stored preference label: a labeller preferred one caption of an image over another.</summary>
public sealed record PreferenceRecord
{
    /// <summary>Deterministic id from <see cref="PreferenceIds.Compute"/>.</summary>
    public required string PreferenceId { get; init; }

    public required string LabellerId { get; init; }

    public required string ImageId { get; init; }

    public required string ChosenText { get; init; }

    public required string RejectedText { get; init; }

    public string? ChosenCandidateId { get; init; }

    public string? RejectedCandidateId { get; init; }

    /// <summary>Quality dimension that the label judges, or null for overall quality.</summary>
    public string? Dimension { get; init; }

    public string? Comment { get; init; }

    /// <summary>Model version whose scores the pair had when it was labelled, when both candidates were in the catalog.</summary>
    public string? ModelVersion { get; init; }

    public required DateTimeOffset RecordedAt { get; init; }
}

/// <summary>Deterministic ids of labels and of the unordered caption pairs they judge.</summary>
public static class PreferenceIds
{
    /// <summary>
    /// Computes a preference id as the first 128 bits of SHA-256 over labeller id, image id, chosen text and
    /// rejected text, as 32 lower-case hex digits. The parts are length-prefixed so that no two different
    /// tuples hash the same input. A retried request thus maps to the same id, whether it named the
    /// captions by candidate id or by text.
    /// </summary>
    public static string Compute(string labellerId, string imageId, string chosenText, string rejectedText) =>
        Hash("preference", labellerId, imageId, chosenText, rejectedText);

    /// <summary>Computes the id of the unordered pair of two captions of one image, the same for either order.</summary>
    public static string PairKey(string imageId, string textA, string textB) =>
        string.CompareOrdinal(textA, textB) <= 0 ? Hash("pair", imageId, textA, textB) : Hash("pair", imageId, textB, textA);

    /// <summary>Returns true when the chosen text is the first of the pair in ordinal order; two labels agree when this matches.</summary>
    public static bool ChoseFirst(string chosenText, string rejectedText) => string.CompareOrdinal(chosenText, rejectedText) < 0;

    private static string Hash(params string[] parts)
    {
        var builder = new StringBuilder();
        foreach (string part in parts)
        {
            builder.Append(part.Length).Append(':').Append(part).Append('\n');
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString()), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }
}

/// <summary>Source-generated JSON metadata of stored labels, in snake_case.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(PreferenceRecord))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;
