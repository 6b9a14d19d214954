namespace RsStreamCurate.Synthesis;

/// <summary>A caption that a generator wrote for one image.</summary>
/// <param name="Text">The caption.</param>
/// <param name="Generator">Generator name: <c>human</c>, <c>rule.label</c>, <c>rule.boxes</c> or <c>synthetic.&lt;defect&gt;</c>.</param>
/// <param name="Defect">Snake_case defect name for a defective caption, else null.</param>
public sealed record SynthesizedCaption(string Text, string Generator, string? Defect);

/// <summary>Settings of <see cref="CaptionSynthesizer"/>.</summary>
public sealed record CaptionSynthesisSettings
{
    /// <summary>Maximum human captions per image (distinct, non-empty).</summary>
    public int MaxHumanCaptions { get; init; } = 5;

    /// <summary>Defective variants made per image, each of a different kind where possible.</summary>
    public int DefectsPerImage { get; init; } = 4;

    /// <summary>Whether to add rule-built captions from the scene label and object boxes.</summary>
    public bool IncludeRuleCaptions { get; init; } = true;
}

/// <summary>
/// Produces the candidate captions of one image, of mixed quality: the human captions, rule-built captions
/// from the scene label and (where a DOTA label file exists) object counts, and defective variants of the
/// kinds real synthetic generators produce.
/// </summary>
public sealed class CaptionSynthesizer(CaptionSynthesisSettings? settings = null)
{
    private static readonly string[] LabelTemplates =
    [
        "an aerial image of a {0}", "a remote sensing image showing a {0}", "a {0} seen from above",
        "this satellite image contains a {0}",
    ];

    private readonly CaptionSynthesisSettings _settings = settings ?? new CaptionSynthesisSettings();

    /// <summary>
    /// Returns the candidates of one image. <paramref name="objectCounts"/> carries the DOTA counts when the
    /// entry has a box label file. Empty and repeated human captions are dropped here, so every candidate of an
    /// image has distinct text.
    /// </summary>
    public IReadOnlyList<SynthesizedCaption> Synthesize(ManifestEntry entry, Random random, ObjectCounts? objectCounts = null)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(random);

        var results = new List<SynthesizedCaption>();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        void Add(string text, string generator, string? defect)
        {
            text = text.Trim();
            if (text.Length > 0 && seen.Add(text))
            {
                results.Add(new SynthesizedCaption(text, generator, defect));
            }
        }

        var humans = DistinctHumanCaptions(entry.Captions).Take(_settings.MaxHumanCaptions).ToList();
        foreach (var caption in humans)
        {
            Add(caption, "human", null);
        }

        if (_settings.IncludeRuleCaptions && entry.Label is { Length: > 0 } label)
        {
            string template = LabelTemplates[random.Next(LabelTemplates.Length)];
            Add(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, SceneVocabulary.ScenePhrase(label)), "rule.label", null);
        }

        if (_settings.IncludeRuleCaptions && objectCounts is { Total: > 0 })
        {
            Add(DescribeCounts(objectCounts), "rule.boxes", null);
        }

        AddDefects(entry, humans, random, Add);
        return results;
    }

    /// <summary>Returns the distinct, non-empty human captions in file order.</summary>
    public static IEnumerable<string> DistinctHumanCaptions(IEnumerable<string> captions) =>
        captions.Select(c => c.Trim()).Where(c => c.Length > 0).Distinct(StringComparer.Ordinal);

    /// <summary>Builds a count caption such as "there are 50 large vehicles and 14 small vehicles".</summary>
    public static string DescribeCounts(ObjectCounts counts)
    {
        var parts = counts.ByCategory
            .OrderByDescending(p => p.Value)
            .ThenBy(p => p.Key, StringComparer.Ordinal)
            .Select(p =>
            {
                var (singular, plural) = SceneVocabulary.DotaNoun(p.Key);
                return p.Value == 1 ? $"1 {singular}" : $"{p.Value} {plural}";
            })
            .ToList();

        string list = parts.Count == 1 ? parts[0] : string.Join(", ", parts.Take(parts.Count - 1)) + " and " + parts[^1];
        string verb = counts.Total == 1 ? "is" : "are";
        return $"there {verb} {list} in this image";
    }

    private void AddDefects(ManifestEntry entry, List<string> humans, Random random, Action<string, string, string?> add)
    {
        if (_settings.DefectsPerImage <= 0)
        {
            return;
        }

        // Generic text needs no source; every other kind rewrites a human caption (or the label caption).
        var sources = humans.Count > 0
            ? humans
            : entry.Label is { Length: > 0 } label ? [$"a {SceneVocabulary.ScenePhrase(label)} with some buildings and trees"] : [];
        var kinds = CaptionDefects.AllKinds.OrderBy(_ => random.Next()).ToList();
        int defectCount = 0;

        foreach (var kind in kinds)
        {
            if (defectCount >= _settings.DefectsPerImage)
            {
                break;
            }

            string source = sources.Count > 0 ? sources[random.Next(sources.Count)] : string.Empty;
            if (kind != DefectKind.Generic && source.Length == 0)
            {
                continue;
            }

            if (CaptionDefects.TryApply(kind, source, entry.Label, random, out var defective))
            {
                string name = CaptionDefects.Name(kind);
                add(defective, "synthetic." + name, name);
                defectCount++;
            }
        }
    }
}
