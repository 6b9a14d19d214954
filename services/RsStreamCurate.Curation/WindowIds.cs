using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RsStreamCurate.Curation;

/// <summary>Deterministic window identifiers.</summary>
public static class WindowIds
{
    /// <summary>
    /// Computes the id of a window as the first 128 bits of SHA-256, in 32 lower-case hex digits, over the
    /// model version, the fraction and the sorted set of candidate ids. A replay that rebuilds the same window
    /// gets the same id whatever the arrival order, so a sink can recognise it. A counter would need its own
    /// durable state and would give a replayed window a new id. A replay with other window boundaries, for
    /// example after a rebalance, gets a new id. The sinks then skip its candidates that are already written.
    /// </summary>
    /// <remarks>A policy other than the top fraction is hashed too, so the same candidates curated by another policy form another window.</remarks>
    public static string Compute(string modelVersion, double fraction, IEnumerable<string> candidateIds, string? policy = null)
    {
        ArgumentNullException.ThrowIfNull(modelVersion);
        ArgumentNullException.ThrowIfNull(candidateIds);

        var sorted = candidateIds.ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);

        // Length prefixes keep different inputs from concatenating to the same text.
        var builder = new StringBuilder();
        AppendPart(builder, modelVersion);
        AppendPart(builder, fraction.ToString("R", CultureInfo.InvariantCulture));
        if (policy is not null)
        {
            AppendPart(builder, policy);
        }

        foreach (string id in sorted)
        {
            AppendPart(builder, id);
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString()), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    private static void AppendPart(StringBuilder builder, string part) =>
        builder.Append(part.Length).Append(':').Append(part).Append('\n');
}
