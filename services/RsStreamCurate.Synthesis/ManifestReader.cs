using System.Text.Json;

namespace RsStreamCurate.Synthesis;

/// <summary>One image of an RSICD-style manifest.</summary>
/// <param name="ImageId">Stable id of the image: the <c>filename</c> field, else the image path.</param>
/// <param name="ImagePath">Image path relative to the manifest's folder, with forward slashes.</param>
/// <param name="Label">Scene class, when the data set has one.</param>
/// <param name="Captions">Human captions exactly as in the file, including empty and repeated ones.</param>
/// <param name="Split">Split name (<c>rsicd_official_split</c> or <c>split</c>), when present.</param>
/// <param name="BoxLabelPath">DOTA-style object label file relative to the manifest's folder, when present.</param>
/// <param name="LineNumber">1-based line in the manifest, for error messages.</param>
public sealed record ManifestEntry(
    string ImageId,
    string ImagePath,
    string? Label,
    IReadOnlyList<string> Captions,
    string? Split,
    string? BoxLabelPath,
    int LineNumber = 0);

/// <summary>Raised for a manifest line that cannot be read; the message names the file and line.</summary>
public sealed class ManifestException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Reads RSICD-style JSONL manifests: one object per line with <c>image</c> (path relative to the
/// manifest), and optional <c>filename</c>, <c>label</c>, <c>captions</c>, <c>rsicd_official_split</c> or
/// <c>split</c>, and <c>boxes</c> (a DOTA label file).
/// </summary>
public static class ManifestReader
{
    /// <summary>Reads every entry, throwing <see cref="ManifestException"/> at the first invalid line.</summary>
    public static IEnumerable<ManifestEntry> Read(string manifestPath)
    {
        foreach (var result in ReadLenient(manifestPath))
        {
            if (result.Error is { } error)
            {
                throw new ManifestException(error);
            }

            yield return result.Entry!;
        }
    }

    /// <summary>Reads every line, returning an error in place of each invalid one, so a stream can go on past it.</summary>
    public static IEnumerable<ManifestLine> ReadLenient(string manifestPath)
    {
        if (!File.Exists(manifestPath))
        {
            throw new ManifestException($"Manifest '{manifestPath}' was not found. Pass an RSICD-style JSONL file (one JSON object per line with at least an \"image\" field).");
        }

        int lineNumber = 0;
        foreach (var line in File.ReadLines(manifestPath))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            yield return ParseLine(manifestPath, line, lineNumber);
        }
    }

    /// <summary>Parses one manifest line.</summary>
    public static ManifestLine ParseLine(string manifestPath, string line, int lineNumber)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            return ManifestLine.Invalid(line, lineNumber, $"{manifestPath}:{lineNumber}: the line is not valid JSON ({ex.Message}).");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return ManifestLine.Invalid(line, lineNumber, $"{manifestPath}:{lineNumber}: expected a JSON object, found {root.ValueKind}.");
            }

            string? image = ReadString(root, "image");
            if (string.IsNullOrWhiteSpace(image))
            {
                return ManifestLine.Invalid(line, lineNumber, $"{manifestPath}:{lineNumber}: the \"image\" field is missing or empty; it must be the image path relative to the manifest.");
            }

            var captions = new List<string>();
            if (root.TryGetProperty("captions", out var captionArray))
            {
                if (captionArray.ValueKind != JsonValueKind.Array)
                {
                    return ManifestLine.Invalid(line, lineNumber, $"{manifestPath}:{lineNumber}: \"captions\" must be an array of strings, found {captionArray.ValueKind}.");
                }

                foreach (var caption in captionArray.EnumerateArray())
                {
                    if (caption.ValueKind != JsonValueKind.String)
                    {
                        return ManifestLine.Invalid(line, lineNumber, $"{manifestPath}:{lineNumber}: every caption must be a string, found {caption.ValueKind}.");
                    }

                    captions.Add(caption.GetString()!);
                }
            }

            string imagePath = image.Replace('\\', '/');
            string imageId = ReadString(root, "filename") is { Length: > 0 } filename ? filename : imagePath;
            string? split = ReadString(root, "rsicd_official_split") ?? ReadString(root, "split");

            var entry = new ManifestEntry(
                imageId,
                imagePath,
                ReadString(root, "label"),
                captions,
                split,
                ReadString(root, "boxes"),
                lineNumber);
            return ManifestLine.Valid(entry, line, lineNumber);
        }
    }

    private static string? ReadString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>One manifest line: an entry, or the reason it could not be read.</summary>
public sealed record ManifestLine(ManifestEntry? Entry, string? Error, string RawLine, int LineNumber)
{
    public static ManifestLine Valid(ManifestEntry entry, string raw, int lineNumber) => new(entry, null, raw, lineNumber);

    public static ManifestLine Invalid(string raw, int lineNumber, string error) => new(null, error, raw, lineNumber);
}
