using System.Security.Cryptography;
using System.Text;

namespace RsStreamCurate.Contracts;

/// <summary>Deterministic candidate identifiers, so a replayed candidate is recognised by every sink.</summary>
public static class CandidateId
{
    /// <summary>
    /// Computes the id of a candidate as the first 128 bits of SHA-256 over image id, text and generator,
    /// as 32 lower-case hex digits. The three parts are length-prefixed so that no two different triples
    /// hash the same input.
    /// </summary>
    public static string Compute(string imageId, string text, string generator)
    {
        ArgumentNullException.ThrowIfNull(imageId);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(generator);

        var builder = new StringBuilder(imageId.Length + text.Length + generator.Length + 24);
        foreach (var part in new[] { imageId, text, generator })
        {
            builder.Append(part.Length).Append(':').Append(part).Append('\n');
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString()), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }
}
