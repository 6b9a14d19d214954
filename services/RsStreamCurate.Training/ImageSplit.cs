using RsStreamCurate.Synthesis;

namespace RsStreamCurate.Training;

/// <summary>Manifest entries divided by image into a training side and a held-out test side.</summary>
public sealed record ImageSplit(IReadOnlyList<ManifestEntry> Train, IReadOnlyList<ManifestEntry> Test)
{
    /// <summary>
    /// Splits by image. An entry whose split is <c>train</c> or <c>val</c> goes to training and <c>test</c> to
    /// the test side (the RSICD official split). An entry without a split goes to the test side when a hash of
    /// its image id falls in <paramref name="testFractionWithoutSplit"/>, so the choice is stable across runs.
    /// </summary>
    /// <exception cref="InvalidDataException">An image appears on lines with different splits, or a split name is unknown.</exception>
    public static ImageSplit ByImage(IReadOnlyList<ManifestEntry> entries, double testFractionWithoutSplit = 0.1)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentOutOfRangeException.ThrowIfLessThan(testFractionWithoutSplit, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(testFractionWithoutSplit, 1.0);

        var sideByImage = new Dictionary<string, (bool IsTest, int LineNumber)>(StringComparer.Ordinal);
        var train = new List<ManifestEntry>();
        var test = new List<ManifestEntry>();

        foreach (var entry in entries)
        {
            bool isTest = IsTest(entry, testFractionWithoutSplit);

            // An image is identified by both its id and its path, so two lines that name the same file under
            // different ids, or the same id with different files, still land on one side.
            foreach (var key in new[] { "id:" + entry.ImageId, "path:" + entry.ImagePath })
            {
                if (sideByImage.TryGetValue(key, out var earlier) && earlier.IsTest != isTest)
                {
                    throw new InvalidDataException(
                        $"Image {entry.ImageId} ({entry.ImagePath}) is on line {earlier.LineNumber} in the {(earlier.IsTest ? "test" : "training")} side and on line {entry.LineNumber} in the other; give every line of one image the same split.");
                }

                sideByImage[key] = (isTest, entry.LineNumber);
            }

            (isTest ? test : train).Add(entry);
        }

        return new ImageSplit(train, test);
    }

    private static bool IsTest(ManifestEntry entry, double testFractionWithoutSplit)
    {
        switch (entry.Split?.Trim().ToLowerInvariant())
        {
            case "train":
            case "val":
            case "validation":
                return false;
            case "test":
                return true;
            case null or "":
                return StableFraction(entry.ImageId) < testFractionWithoutSplit;
            default:
                throw new InvalidDataException(
                    $"Manifest line {entry.LineNumber} (image {entry.ImageId}) has split '{entry.Split}'; use train, val or test.");
        }
    }

    // FNV-1a over the UTF-16 code units, mapped to [0, 1); string.GetHashCode changes between processes.
    private static double StableFraction(string imageId)
    {
        uint hash = 2166136261;
        foreach (var c in imageId)
        {
            hash = (hash ^ c) * 16777619;
        }

        return hash / (double)uint.MaxValue;
    }
}
