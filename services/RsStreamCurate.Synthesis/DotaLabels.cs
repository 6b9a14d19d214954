using System.Globalization;

namespace RsStreamCurate.Synthesis;

/// <summary>Object counts per category read from a DOTA-v1.0 label file.</summary>
public sealed record ObjectCounts(IReadOnlyDictionary<string, int> ByCategory)
{
    public int Total => ByCategory.Values.Sum();
}

/// <summary>
/// Reads DOTA-v1.0 oriented-box label files: optional <c>imagesource:</c> and <c>gsd:</c> header lines,
/// then one object per line as eight corner coordinates, the category and a difficult flag.
/// </summary>
public static class DotaLabels
{
    /// <summary>Counts objects per category; throws <see cref="FormatException"/> naming the line for a malformed one.</summary>
    public static ObjectCounts Read(string path)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("imagesource:", StringComparison.Ordinal) || line.StartsWith("gsd:", StringComparison.Ordinal))
            {
                continue;
            }

            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 9 || !fields.Take(8).All(f => double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            {
                throw new FormatException($"{path}:{lineNumber}: expected 'x1 y1 x2 y2 x3 y3 x4 y4 category difficult', found '{line}'.");
            }

            string category = fields[8];
            counts[category] = counts.GetValueOrDefault(category) + 1;
        }

        return new ObjectCounts(counts);
    }
}
