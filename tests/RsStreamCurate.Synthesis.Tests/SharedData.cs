namespace RsStreamCurate.Synthesis.Tests;

/// <summary>Locates the shared RS data sets that sit beside the repository checkout.</summary>
internal static class SharedData
{
    public static string Root { get; } = FindRoot();

    public static string RsicdManifest => Path.Combine(Root, "rsicd", "captions.jsonl");

    public static string DotaLabels(string name) => Path.Combine(Root, "dota-v1-sample", "labelTxt", name);

    private static string FindRoot()
    {
        var overridden = Environment.GetEnvironmentVariable("RSCURATE_SHARED_DATA");
        if (!string.IsNullOrEmpty(overridden))
        {
            return overridden;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(Path.Combine(candidate, "rsicd")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(
            "shared/data (the RSICD, UCM, Sydney and DOTA samples) was not found beside the checkout; set RSCURATE_SHARED_DATA to its path.");
    }
}
