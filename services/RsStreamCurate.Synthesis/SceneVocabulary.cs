namespace RsStreamCurate.Synthesis;

/// <summary>
/// Remote-sensing scene and object words used to build rule-based captions and realistic defects.
/// Labels are the 30 RSICD scene classes (plus <c>playfields</c>) and the 21 UC Merced classes; DOTA-v1.0
/// categories map to nouns for box-count captions.
/// </summary>
public static class SceneVocabulary
{
    private static readonly Dictionary<string, string> ScenePhrases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["airport"] = "airport", ["bareland"] = "piece of bare land", ["baseballfield"] = "baseball field",
        ["beach"] = "beach", ["bridge"] = "bridge", ["center"] = "city center", ["church"] = "church",
        ["commercial"] = "commercial area", ["denseresidential"] = "dense residential area", ["desert"] = "desert",
        ["farmland"] = "farmland", ["forest"] = "forest", ["industrial"] = "industrial area", ["meadow"] = "meadow",
        ["mediumresidential"] = "medium residential area", ["mountain"] = "mountain", ["park"] = "park",
        ["parking"] = "parking lot", ["playground"] = "playground", ["pond"] = "pond", ["port"] = "port",
        ["railwaystation"] = "railway station", ["resort"] = "resort", ["river"] = "river", ["school"] = "school",
        ["sparseresidential"] = "sparse residential area", ["square"] = "square", ["stadium"] = "stadium",
        ["storagetanks"] = "group of storage tanks", ["viaduct"] = "viaduct", ["playfields"] = "group of sports fields",
        ["agricultural"] = "agricultural field", ["airplane"] = "airplane on an apron", ["buildings"] = "block of buildings",
        ["chaparral"] = "chaparral shrubland", ["freeway"] = "freeway", ["golfcourse"] = "golf course",
        ["harbor"] = "harbor", ["intersection"] = "road intersection", ["mobilehomepark"] = "mobile home park",
        ["overpass"] = "overpass", ["parkinglot"] = "parking lot", ["runway"] = "runway", ["tenniscourt"] = "tennis court",
    };

    /// <summary>
    /// Nouns that name what a scene contains, each with plausible nouns of other scenes to swap in. A swap
    /// keeps the sentence grammatical (plural for plural) but puts a wrong class in the caption.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> ClassSwaps = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["airport"] = ["railway station", "port", "stadium"], ["planes"] = ["ships", "trucks", "trains"],
        ["plane"] = ["ship", "truck", "train"], ["trees"] = ["buildings", "storage tanks", "houses"],
        ["buildings"] = ["trees", "ponds", "farmlands"], ["building"] = ["pond", "tree", "stadium"],
        ["river"] = ["road", "railway", "runway"], ["road"] = ["river", "railway", "runway"],
        ["beach"] = ["desert", "parking lot", "meadow"], ["ocean"] = ["desert", "forest", "farmland"],
        ["sea"] = ["desert", "forest", "city"], ["bridge"] = ["viaduct", "dam", "railway"],
        ["viaduct"] = ["bridge", "river", "runway"], ["cars"] = ["boats", "planes", "trees"],
        ["boats"] = ["cars", "planes", "houses"], ["ships"] = ["cars", "planes", "houses"],
        ["houses"] = ["ponds", "storage tanks", "ships"], ["church"] = ["stadium", "factory", "school"],
        ["school"] = ["church", "factory", "airport"], ["stadium"] = ["church", "parking lot", "pond"],
        ["playground"] = ["parking lot", "pond", "farmland"], ["pond"] = ["playground", "parking lot", "building"],
        ["ponds"] = ["playgrounds", "buildings", "parking lots"], ["forest"] = ["desert", "city", "lake"],
        ["desert"] = ["forest", "lake", "city"], ["meadow"] = ["parking lot", "desert", "lake"],
        ["farmland"] = ["desert", "residential area", "lake"], ["farmlands"] = ["deserts", "residential areas", "lakes"],
        ["mountain"] = ["lake", "city", "beach"], ["port"] = ["airport", "railway station", "stadium"],
        ["park"] = ["parking lot", "industrial area", "port"], ["square"] = ["stadium", "pond", "farmland"],
        ["tanks"] = ["courts", "ponds", "planes"], ["lake"] = ["forest", "desert", "parking lot"],
        ["grass"] = ["sand", "water", "concrete"],
        ["water"] = ["sand", "grass", "concrete"], ["resort"] = ["factory", "railway station", "airport"],
        ["factory"] = ["church", "resort", "school"], ["railway"] = ["river", "runway", "beach"],
        ["runway"] = ["river", "railway", "beach"], ["vehicles"] = ["boats", "planes", "trees"],
    };

    /// <summary>Objects that a hallucinating captioner adds, grouped so that none belongs to the scene it is added to.</summary>
    private static readonly string[] HallucinationObjects =
    [
        "a large white airplane", "several storage tanks", "a baseball field", "a railway station", "three ships",
        "a swimming pool", "a tennis court", "a long runway", "a circular stadium", "a harbor with boats",
        "a snow-covered mountain", "a wide river", "two bridges", "a dense forest", "a golf course", "a roundabout",
        "several tennis courts", "a church with a red roof", "a parking lot full of cars", "a soccer field",
    ];

    private static readonly Dictionary<string, string[]> SceneWords = new(StringComparer.OrdinalIgnoreCase)
    {
        ["airport"] = ["airplane", "runway"], ["baseballfield"] = ["baseball field"], ["bridge"] = ["bridge", "river"],
        ["church"] = ["church"], ["denseresidential"] = [], ["farmland"] = ["golf course"], ["forest"] = ["dense forest"],
        ["parking"] = ["parking lot"], ["playground"] = ["soccer field", "tennis court", "stadium"], ["port"] = ["ships", "harbor", "boats"],
        ["railwaystation"] = ["railway station"], ["river"] = ["river", "bridges"], ["stadium"] = ["stadium", "soccer field"],
        ["storagetanks"] = ["storage tanks"], ["viaduct"] = ["bridges"], ["mountain"] = ["mountain"], ["beach"] = ["harbor", "swimming pool"],
        ["resort"] = ["swimming pool"], ["school"] = ["tennis court", "soccer field"], ["playfields"] = ["tennis court", "baseball field", "soccer field"],
        ["agricultural"] = ["golf course"], ["airplane"] = ["airplane", "runway"], ["harbor"] = ["ships", "harbor", "boats"],
        ["tenniscourt"] = ["tennis court"], ["runway"] = ["runway", "airplane"], ["golfcourse"] = ["golf course"],
    };

    private static readonly Dictionary<string, (string Singular, string Plural)> DotaNouns = new(StringComparer.OrdinalIgnoreCase)
    {
        ["plane"] = ("plane", "planes"), ["ship"] = ("ship", "ships"), ["storage-tank"] = ("storage tank", "storage tanks"),
        ["baseball-diamond"] = ("baseball diamond", "baseball diamonds"), ["tennis-court"] = ("tennis court", "tennis courts"),
        ["basketball-court"] = ("basketball court", "basketball courts"), ["ground-track-field"] = ("ground track field", "ground track fields"),
        ["harbor"] = ("harbor", "harbors"), ["bridge"] = ("bridge", "bridges"), ["large-vehicle"] = ("large vehicle", "large vehicles"),
        ["small-vehicle"] = ("small vehicle", "small vehicles"), ["helicopter"] = ("helicopter", "helicopters"),
        ["roundabout"] = ("roundabout", "roundabouts"), ["soccer-ball-field"] = ("soccer field", "soccer fields"),
        ["swimming-pool"] = ("swimming pool", "swimming pools"),
    };

    /// <summary>Nouns of background content that many scenes share; a caption reduced to them has lost its subject.</summary>
    public static readonly IReadOnlySet<string> BackgroundNouns = new HashSet<string>(StringComparer.Ordinal)
    {
        "trees", "tree", "buildings", "building", "road", "roads", "houses", "grass", "lawn", "lawns", "cars", "plants",
        "water", "land", "sand", "bushes", "meadow", "meadows",
    };

    /// <summary>
    /// Remote-sensing terms and the vague everyday words that weak captioners use instead, longest terms first so
    /// that "storage tanks" is replaced before "tanks".
    /// </summary>
    public static readonly IReadOnlyList<(string Term, string Vague)> VagueReplacements =
    [
        ("baseball field", "field"), ("storage tanks", "round things"), ("parking lot", "open area"), ("railway station", "building"),
        ("residential area", "area"), ("swimming pool", "blue spot"), ("tennis court", "small field"), ("football field", "field"),
        ("runway", "long strip"), ("airport", "place"), ("viaduct", "road"), ("bridge", "structure"), ("stadium", "big building"),
        ("playground", "open area"), ("farmland", "land"), ("farmlands", "lands"), ("church", "building"), ("pond", "water"),
        ("river", "water"), ("ocean", "water"), ("forest", "green area"), ("planes", "objects"), ("plane", "object"),
        ("ships", "objects"), ("boats", "objects"), ("tanks", "things"), ("port", "place"), ("beach", "place"),
        ("desert", "land"), ("mountain", "hill"), ("overpass", "road"), ("roundabout", "circle"),
    ];

    /// <summary>Returns the words that name the scene of <paramref name="label"/>, which an incomplete caption leaves out.</summary>
    public static IReadOnlySet<string> SalientWords(string? label)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        if (label is null)
        {
            return words;
        }

        foreach (var word in ScenePhrase(label).Split(' '))
        {
            if (word is not ("a" or "an" or "of" or "group" or "piece" or "area"))
            {
                words.Add(word);
                words.Add(word + "s");
            }
        }

        if (SceneWords.TryGetValue(label, out var objects))
        {
            foreach (var phrase in objects)
            {
                foreach (var word in phrase.Split(' '))
                {
                    words.Add(word);
                }
            }
        }

        return words;
    }

    /// <summary>Returns the noun phrase of a scene label ("dense residential area"), or the label split into words.</summary>
    public static string ScenePhrase(string label)
    {
        if (ScenePhrases.TryGetValue(label, out var phrase))
        {
            return phrase;
        }

        // Unknown labels such as "SportsComplex" or "golf_course": split camel case and separators.
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        foreach (char c in label)
        {
            if (c is '_' or '-' or ' ' || (char.IsUpper(c) && current.Length > 0))
            {
                if (current.Length > 0)
                {
                    words.Add(current.ToString().ToLowerInvariant());
                    current.Clear();
                }
            }

            if (c is not ('_' or '-' or ' '))
            {
                current.Append(c);
            }
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString().ToLowerInvariant());
        }

        return string.Join(' ', words);
    }

    /// <summary>All known scene labels, for zero-shot prompts and wrong-class defects.</summary>
    public static IReadOnlyCollection<string> KnownLabels => ScenePhrases.Keys;

    /// <summary>Picks an object that a captioner could hallucinate into a scene of <paramref name="label"/>.</summary>
    public static string PickHallucinatedObject(string? label, string caption, Random random)
    {
        string[] sceneWords = label is not null && SceneWords.TryGetValue(label, out var words) ? words : [];
        var candidates = HallucinationObjects
            .Where(o => !sceneWords.Any(w => o.Contains(w, StringComparison.OrdinalIgnoreCase)))
            .Where(o => !caption.Contains(LastWord(o), StringComparison.OrdinalIgnoreCase))
            .ToArray();
        return candidates.Length > 0 ? candidates[random.Next(candidates.Length)] : HallucinationObjects[random.Next(HallucinationObjects.Length)];
    }

    /// <summary>Returns the singular and plural noun of a DOTA category ("large-vehicle" to "large vehicle(s)").</summary>
    public static (string Singular, string Plural) DotaNoun(string category) =>
        DotaNouns.TryGetValue(category, out var noun) ? noun : (category.Replace('-', ' '), category.Replace('-', ' ') + "s");

    private static string LastWord(string phrase) => phrase[(phrase.LastIndexOf(' ') + 1)..];
}
