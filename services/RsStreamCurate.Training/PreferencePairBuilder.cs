using RsStreamCurate.Scoring;
using RsStreamCurate.Synthesis;

namespace RsStreamCurate.Training;

/// <summary>
/// A preference between two captions of one image. <see cref="Kind"/> is the defect name of the rejected
/// caption (see <see cref="CaptionDefects.Name"/>) or <see cref="PreferencePairBuilder.RelevanceKind"/>.
/// </summary>
public sealed record PreferencePair(string ImageId, string ImagePath, string Chosen, string Rejected, string Kind);

/// <summary>Settings of <see cref="PreferencePairBuilder.Build"/>.</summary>
public sealed record PreferencePairOptions
{
    /// <summary>Defects applied to every chosen caption, one rejected caption each.</summary>
    public IReadOnlyList<DefectKind> DefectKinds { get; init; } = CaptionDefects.AllKinds;

    /// <summary>Rejected captions per chosen caption taken from an image with another label.</summary>
    public int RelevancePairsPerCaption { get; init; } = 1;
}

/// <summary>
/// Builds preference pairs from human captions. The chosen side is every distinct, non-empty human caption of
/// an image (the RSICD captions repeat often and one is empty). The rejected side is a defective variant of
/// that caption, or a caption of an image with a different label, which teaches relevance to the image.
/// </summary>
public static class PreferencePairBuilder
{
    /// <summary>Kind of a pair whose rejected caption belongs to an image with a different label.</summary>
    public const string RelevanceKind = "relevance";

    // Attempts to find a caption of another label before the relevance pair is left out.
    private const int RelevanceAttempts = 20;

    /// <summary>
    /// Returns the human captions of an image that can be chosen: trimmed, non-empty, and each distinct
    /// word sequence once (compared after <see cref="CaptionTokenizer.SplitWords"/>), in manifest order.
    /// </summary>
    public static IReadOnlyList<string> ChosenCaptions(ManifestEntry entry)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var chosen = new List<string>();
        foreach (var caption in entry.Captions)
        {
            var trimmed = caption.Trim();
            var key = NormalisedKey(trimmed);
            if (key.Length > 0 && seen.Add(key))
            {
                chosen.Add(trimmed);
            }
        }

        return chosen;
    }

    /// <summary>Builds every pair for the entries; the same entries, seed and options give the same pairs.</summary>
    public static IReadOnlyList<PreferencePair> Build(IReadOnlyList<ManifestEntry> entries, int seed, PreferencePairOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        options ??= new PreferencePairOptions();
        var random = new Random(seed);
        var chosenByImage = entries.Select(ChosenCaptions).ToList();
        var pairs = new List<PreferencePair>();

        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var humanKeys = entry.Captions.Select(NormalisedKey).ToHashSet(StringComparer.Ordinal);
            foreach (var chosen in chosenByImage[i])
            {
                foreach (var kind in options.DefectKinds)
                {
                    // A defect that reproduces another human caption of the same image is not a worse caption.
                    if (CaptionDefects.TryApply(kind, chosen, entry.Label, random, out var defective)
                        && !humanKeys.Contains(NormalisedKey(defective)))
                    {
                        pairs.Add(new PreferencePair(entry.ImageId, entry.ImagePath, chosen, defective, CaptionDefects.Name(kind)));
                    }
                }

                for (int r = 0; r < options.RelevancePairsPerCaption; r++)
                {
                    if (TryPickOtherLabelCaption(entries, chosenByImage, i, humanKeys, random, out var other))
                    {
                        pairs.Add(new PreferencePair(entry.ImageId, entry.ImagePath, chosen, other, RelevanceKind));
                    }
                }
            }
        }

        return pairs;
    }

    private static bool TryPickOtherLabelCaption(
        IReadOnlyList<ManifestEntry> entries, List<IReadOnlyList<string>> chosenByImage, int imageIndex,
        HashSet<string> humanKeys, Random random, out string caption)
    {
        var label = entries[imageIndex].Label;
        for (int attempt = 0; attempt < RelevanceAttempts && entries.Count > 1; attempt++)
        {
            int other = random.Next(entries.Count);
            bool sameLabel = label is not null && string.Equals(entries[other].Label, label, StringComparison.OrdinalIgnoreCase);
            if (other == imageIndex || sameLabel || chosenByImage[other].Count == 0)
            {
                continue;
            }

            var candidate = chosenByImage[other][random.Next(chosenByImage[other].Count)];
            if (!humanKeys.Contains(NormalisedKey(candidate)))
            {
                caption = candidate;
                return true;
            }
        }

        caption = "";
        return false;
    }

    private static string NormalisedKey(string caption) => string.Join(' ', CaptionTokenizer.SplitWords(caption));
}
