using System.Globalization;
using System.Text.RegularExpressions;

namespace RsStreamCurate.Synthesis;

/// <summary>Defects that synthetic caption generators produce.</summary>
public enum DefectKind
{
    /// <summary>Text that fits any image ("an aerial image").</summary>
    Generic,

    /// <summary>An object added that the image does not show.</summary>
    HallucinatedObject,

    /// <summary>A scene or object noun replaced by one of another class.</summary>
    WrongClass,

    /// <summary>A number or quantifier changed to a wrong count.</summary>
    WrongCount,

    /// <summary>The sentence cut off before it ends.</summary>
    Truncated,

    /// <summary>Repeated and swapped words, as a degenerate decoder writes them.</summary>
    Garbled,

    /// <summary>Only the surroundings are described; the scene's salient object is left out.</summary>
    Incomplete,

    /// <summary>Remote-sensing terms replaced by everyday vague words ("storage tanks" to "round things").</summary>
    Vague,
}

/// <summary>The five quality dimensions that caption preferences are judged on.</summary>
public enum QualityDimension
{
    /// <summary>No hallucinated objects, classes, counts or attributes.</summary>
    Relevance,

    /// <summary>Specific, detailed content rather than text that fits any image.</summary>
    Specificity,

    /// <summary>Covers the salient content of the scene.</summary>
    Completeness,

    /// <summary>Clear, fluent sentences.</summary>
    Clarity,

    /// <summary>Remote-sensing terminology rather than vague everyday words.</summary>
    Richness,
}

/// <summary>
/// Applies one realistic defect to a good caption. Each defect keeps the text a plausible sentence, so a
/// scorer has to read it rather than detect noise.
/// </summary>
public static partial class CaptionDefects
{
    private static readonly string[] GenericTexts =
    [
        "an aerial image", "this is a remote sensing image", "a picture taken from above", "there are some things in the image",
        "an image of an area", "a satellite view of the ground", "the image shows a place from the sky", "an overhead photo of a scene",
    ];

    private static readonly string[] NumberWords = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

    private static readonly HashSet<string> Quantifiers = new(StringComparer.Ordinal) { "many", "several", "some", "lots", "numerous" };

    /// <summary>Every defect kind, in declaration order.</summary>
    public static IReadOnlyList<DefectKind> AllKinds { get; } = Enum.GetValues<DefectKind>();

    /// <summary>Returns the snake_case name of a defect, as used in generator names and metrics.</summary>
    public static string Name(DefectKind kind) => kind switch
    {
        DefectKind.Generic => "generic",
        DefectKind.HallucinatedObject => "hallucinated_object",
        DefectKind.WrongClass => "wrong_class",
        DefectKind.WrongCount => "wrong_count",
        DefectKind.Truncated => "truncated",
        DefectKind.Garbled => "garbled",
        DefectKind.Incomplete => "incomplete",
        DefectKind.Vague => "vague",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown defect kind."),
    };

    /// <summary>Returns the quality dimension that a defect violates.</summary>
    public static QualityDimension Dimension(DefectKind kind) => kind switch
    {
        DefectKind.HallucinatedObject or DefectKind.WrongClass or DefectKind.WrongCount => QualityDimension.Relevance,
        DefectKind.Generic => QualityDimension.Specificity,
        DefectKind.Incomplete or DefectKind.Truncated => QualityDimension.Completeness,
        DefectKind.Garbled => QualityDimension.Clarity,
        DefectKind.Vague => QualityDimension.Richness,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown defect kind."),
    };

    /// <summary>Returns the lower-case name of a dimension, as used in labels, reports and the feedback API.</summary>
    public static string Name(QualityDimension dimension) => dimension.ToString().ToLowerInvariant();

    /// <summary>
    /// Applies <paramref name="kind"/> to <paramref name="caption"/>. Returns false when the defect cannot be
    /// applied (no count to change, no swappable noun, a caption too short to truncate) or when the result would
    /// equal the input.
    /// </summary>
    public static bool TryApply(DefectKind kind, string caption, string? label, Random random, out string defective)
    {
        ArgumentNullException.ThrowIfNull(caption);
        ArgumentNullException.ThrowIfNull(random);

        var words = Tokenize(caption);
        string? result = kind switch
        {
            DefectKind.Generic => GenericTexts[random.Next(GenericTexts.Length)],
            DefectKind.HallucinatedObject => words.Count == 0 ? null : AddObject(caption, label, random),
            DefectKind.WrongClass => SwapClass(words, random),
            DefectKind.WrongCount => ChangeCount(words, random),
            DefectKind.Truncated => Truncate(words, random),
            DefectKind.Garbled => Garble(words, random),
            DefectKind.Incomplete => DropSalientContent(words, label, random),
            DefectKind.Vague => MakeVague(words),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown defect kind."),
        };

        defective = result ?? string.Empty;
        return result is not null && !string.Equals(Normalize(result), Normalize(caption), StringComparison.Ordinal);
    }

    private static string AddObject(string caption, string? label, Random random)
    {
        string added = SceneVocabulary.PickHallucinatedObject(label, caption, random);
        string joiner = random.Next(3) switch { 0 => " next to ", 1 => " and ", _ => " with " };
        return caption.TrimEnd(' ', '.') + joiner + added;
    }

    private static string? SwapClass(List<string> words, Random random)
    {
        var positions = Enumerable.Range(0, words.Count).Where(i => SceneVocabulary.ClassSwaps.ContainsKey(words[i])).ToList();
        if (positions.Count == 0)
        {
            return null;
        }

        int at = positions[random.Next(positions.Count)];
        var options = SceneVocabulary.ClassSwaps[words[at]];
        var swapped = new List<string>(words) { [at] = options[random.Next(options.Length)] };
        return string.Join(' ', swapped);
    }

    private static string? ChangeCount(List<string> words, Random random)
    {
        for (int attempt = 0; attempt < 2; attempt++)
        {
            var positions = Enumerable.Range(0, words.Count)
                .Where(i => attempt == 0 ? IsNumber(words[i]) : Quantifiers.Contains(words[i]))
                .ToList();
            if (positions.Count == 0)
            {
                continue;
            }

            int at = positions[random.Next(positions.Count)];
            string replacement = attempt == 0 ? OtherNumber(words[at], random) : NumberWords[1 + random.Next(2)];
            var changed = new List<string>(words) { [at] = replacement };
            return string.Join(' ', changed);
        }

        return null;
    }

    private static string? Truncate(List<string> words, Random random)
    {
        if (words.Count < 5)
        {
            return null;
        }

        // Keep 40-70% of the words so the fragment reads like a cut-off sentence, not a stub.
        int keep = Math.Clamp((int)Math.Round(words.Count * (0.4 + 0.3 * random.NextDouble())), 2, words.Count - 2);
        return string.Join(' ', words.Take(keep));
    }

    private static string? Garble(List<string> words, Random random)
    {
        if (words.Count < 4)
        {
            return null;
        }

        var garbled = new List<string>(words);
        int repeatAt = random.Next(garbled.Count - 1);
        int repeatLength = 1 + random.Next(Math.Min(3, garbled.Count - repeatAt));
        garbled.InsertRange(repeatAt + repeatLength, garbled.GetRange(repeatAt, repeatLength));

        int swapAt = random.Next(garbled.Count - 1);
        (garbled[swapAt], garbled[swapAt + 1]) = (garbled[swapAt + 1], garbled[swapAt]);
        return string.Join(' ', garbled);
    }

    private static string? DropSalientContent(List<string> words, string? label, Random random)
    {
        // Keep only the background objects that the caption names, and leave out the scene's own nouns, so the
        // result is a true but incomplete sentence ("there are some trees and a road").
        var salient = SceneVocabulary.SalientWords(label);
        var background = new List<string>();
        for (int i = 0; i < words.Count; i++)
        {
            string word = words[i];
            if (SceneVocabulary.BackgroundNouns.Contains(word) && !salient.Contains(word) && !background.Contains(word))
            {
                background.Add(word);
            }
        }

        bool mentionsSalient = words.Any(salient.Contains) || words.Any(w => SceneVocabulary.ClassSwaps.ContainsKey(w) && !SceneVocabulary.BackgroundNouns.Contains(w));
        if (background.Count == 0 || !mentionsSalient)
        {
            return null;
        }

        var kept = background.OrderBy(_ => random.Next()).Take(2).ToList();
        string list = kept.Count == 1 ? kept[0] : $"{kept[0]} and {kept[1]}";
        return kept[0].EndsWith('s') ? $"there are some {list}" : $"there is some {list}";
    }

    private static string? MakeVague(List<string> words)
    {
        var text = " " + string.Join(' ', words) + " ";
        bool changed = false;
        foreach (var (term, vague) in SceneVocabulary.VagueReplacements)
        {
            string needle = " " + term + " ";
            if (text.Contains(needle, StringComparison.Ordinal))
            {
                text = text.Replace(needle, " " + vague + " ", StringComparison.Ordinal);
                changed = true;
            }
        }

        // A replacement can follow "a" with a vowel ("a open area"), which would give the defect away by its grammar.
        return changed ? ArticleBeforeVowel().Replace(text.Trim(), "an $1") : null;
    }

    private static bool IsNumber(string word) =>
        Array.IndexOf(NumberWords, word) >= 0 || (word.Length <= 4 && int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out _));

    private static string OtherNumber(string word, Random random)
    {
        int value = Array.IndexOf(NumberWords, word) is var index and >= 0
            ? index + 1
            : int.Parse(word, NumberStyles.None, CultureInfo.InvariantCulture);
        int other;
        do
        {
            other = value <= 10 ? 1 + random.Next(10) : Math.Max(1, value + random.Next(-value / 2, value + 1));
        }
        while (other == value || (value > 1 && other == 1));

        bool asWord = Array.IndexOf(NumberWords, word) >= 0;
        return asWord && other <= 10 ? NumberWords[other - 1] : other.ToString(CultureInfo.InvariantCulture);
    }

    private static List<string> Tokenize(string caption) =>
        WordPattern().Matches(caption).Select(m => m.Value.ToLowerInvariant()).ToList();

    private static string Normalize(string text) => string.Join(' ', Tokenize(text));

    [GeneratedRegex(@"\ba ([aeiou])")]
    private static partial Regex ArticleBeforeVowel();

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}'\-]*")]
    private static partial Regex WordPattern();
}
