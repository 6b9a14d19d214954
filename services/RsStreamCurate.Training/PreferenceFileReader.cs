using System.Text.Json;

namespace RsStreamCurate.Training;

/// <summary>Raised for a preference file line that cannot be read; the message names the file, line and field.</summary>
public sealed class PreferenceFileException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Reads user preference pairs in the common chosen/rejected JSONL form: one object per line with <c>image</c>
/// (a path relative to the file's folder or the image root), optional <c>question</c>, <c>chosen</c> (a string) and
/// <c>rejected</c> (a string or a list of strings, one pair each).
/// </summary>
public static class PreferenceFileReader
{
    /// <summary>Pair kind of imported pairs, so evaluation reports them apart from synthetic defects.</summary>
    public const string ImportedKind = "imported";

    /// <summary>Reads every pair; throws <see cref="PreferenceFileException"/> at the first invalid line.</summary>
    public static IReadOnlyList<PreferencePair> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new PreferenceFileException($"Preference file '{path}' was not found; pass a JSONL file with image, chosen and rejected fields.");
        }

        var pairs = new List<PreferencePair>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            pairs.AddRange(ParseLine(path, line, lineNumber));
        }

        return pairs;
    }

    private static IEnumerable<PreferencePair> ParseLine(string path, string line, int lineNumber)
    {
        string where = $"{path}:{lineNumber}";
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(line);
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new PreferenceFileException($"{where}: the line is not valid JSON ({ex.Message}).", ex);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new PreferenceFileException($"{where}: expected a JSON object, found {root.ValueKind}.");
        }

        string image = RequiredString(root, "image", where);
        string chosen = RequiredString(root, "chosen", where);
        var rejected = new List<string>();
        if (!root.TryGetProperty("rejected", out var rejectedElement))
        {
            throw new PreferenceFileException($"{where}: the \"rejected\" field is missing; give a string or a list of strings.");
        }

        if (rejectedElement.ValueKind == JsonValueKind.String)
        {
            rejected.Add(rejectedElement.GetString()!);
        }
        else if (rejectedElement.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in rejectedElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    throw new PreferenceFileException($"{where}: every \"rejected\" entry must be a string, found {item.ValueKind}.");
                }

                rejected.Add(item.GetString()!);
            }
        }
        else
        {
            throw new PreferenceFileException($"{where}: \"rejected\" must be a string or a list of strings, found {rejectedElement.ValueKind}.");
        }

        if (rejected.Count == 0)
        {
            throw new PreferenceFileException($"{where}: \"rejected\" is an empty list; give at least one rejected text.");
        }

        string imagePath = image.Replace('\\', '/');
        string imageId = Path.GetFileName(imagePath);
        foreach (var text in rejected)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                throw new PreferenceFileException($"{where}: a rejected text is empty.");
            }

            if (string.Equals(text.Trim(), chosen.Trim(), StringComparison.Ordinal))
            {
                throw new PreferenceFileException($"{where}: a rejected text equals the chosen text \"{chosen}\".");
            }

            yield return new PreferencePair(imageId, imagePath, chosen.Trim(), text.Trim(), ImportedKind);
        }
    }

    private static string RequiredString(JsonElement root, string name, string where)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
        {
            throw new PreferenceFileException($"{where}: the \"{name}\" field is missing or not a non-empty string.");
        }

        return value.GetString()!;
    }
}
