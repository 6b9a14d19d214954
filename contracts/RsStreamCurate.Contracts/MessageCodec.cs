using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace RsStreamCurate.Contracts;

/// <summary>Raised when a message cannot be decoded; <see cref="Reason"/> is a <see cref="DeadLetterReasons"/> value.</summary>
public sealed class MessageDecodeException(string reason, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public string Reason { get; } = reason;
}

/// <summary>Encodes and decodes messages as UTF-8 JSON and checks their schema version.</summary>
public static class MessageCodec
{
    public static byte[] Encode(CandidateCaption message) => Encode(message, ContractsJsonContext.Default.CandidateCaption);
    public static byte[] Encode(ScoredCandidate message) => Encode(message, ContractsJsonContext.Default.ScoredCandidate);
    public static byte[] Encode(CuratedWindow message) => Encode(message, ContractsJsonContext.Default.CuratedWindow);
    public static byte[] Encode(DeadLetter message) => Encode(message, ContractsJsonContext.Default.DeadLetter);

    public static CandidateCaption DecodeCandidate(ReadOnlySpan<byte> payload) =>
        Decode(payload, ContractsJsonContext.Default.CandidateCaption, SchemaVersions.CandidateCaption, m => m.SchemaVersion);

    public static ScoredCandidate DecodeScored(ReadOnlySpan<byte> payload) =>
        Decode(payload, ContractsJsonContext.Default.ScoredCandidate, SchemaVersions.ScoredCandidate, m => m.SchemaVersion);

    public static CuratedWindow DecodeCuratedWindow(ReadOnlySpan<byte> payload) =>
        Decode(payload, ContractsJsonContext.Default.CuratedWindow, SchemaVersions.CuratedWindow, m => m.SchemaVersion);

    public static DeadLetter DecodeDeadLetter(ReadOnlySpan<byte> payload) =>
        Decode(payload, ContractsJsonContext.Default.DeadLetter, SchemaVersions.DeadLetter, m => m.SchemaVersion);

    /// <summary>Returns the payload as text for a dead letter, or base64 when it is not valid UTF-8.</summary>
    public static (string Text, bool IsBase64) DescribePayload(ReadOnlySpan<byte> payload)
    {
        try
        {
            return (new UTF8Encoding(false, true).GetString(payload), false);
        }
        catch (DecoderFallbackException)
        {
            return (Convert.ToBase64String(payload), true);
        }
    }

    private static byte[] Encode<T>(T message, JsonTypeInfo<T> typeInfo) =>
        JsonSerializer.SerializeToUtf8Bytes(message, typeInfo);

    private static T Decode<T>(ReadOnlySpan<byte> payload, JsonTypeInfo<T> typeInfo, int knownVersion, Func<T, int> versionOf)
        where T : class
    {
        // Read the version before binding the whole type, so a future schema with new required fields is
        // reported as an unknown version rather than as a parse error.
        int? version = PeekSchemaVersion(payload);
        if (version is { } v && v != knownVersion)
        {
            throw new MessageDecodeException(
                DeadLetterReasons.UnknownSchemaVersion,
                $"{typeof(T).Name} has schema_version {v}, but this consumer reads only version {knownVersion}. Upgrade the consumer or re-publish the message as version {knownVersion}.");
        }

        T? message;
        try
        {
            message = JsonSerializer.Deserialize(payload, typeInfo);
        }
        catch (JsonException ex) when (ex.Message.Contains("required", StringComparison.OrdinalIgnoreCase))
        {
            throw new MessageDecodeException(DeadLetterReasons.MissingField, $"{typeof(T).Name} is missing a required field: {ex.Message}", ex);
        }
        catch (JsonException ex)
        {
            throw new MessageDecodeException(DeadLetterReasons.UnparseableMessage, $"The payload is not valid {typeof(T).Name} JSON: {ex.Message}", ex);
        }

        if (message is null)
        {
            throw new MessageDecodeException(DeadLetterReasons.UnparseableMessage, $"The payload is JSON null, not a {typeof(T).Name}.");
        }

        if (version is null || versionOf(message) != knownVersion)
        {
            throw new MessageDecodeException(
                DeadLetterReasons.UnknownSchemaVersion,
                $"{typeof(T).Name} has no schema_version field; this consumer reads version {knownVersion}.");
        }

        return message;
    }

    private static int? PeekSchemaVersion(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isVersion = reader.ValueTextEquals("schema_version"u8);
                reader.Read();
                if (isVersion && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int version))
                {
                    return version;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Malformed JSON is reported by the full deserialisation that follows.
        }

        return null;
    }
}
