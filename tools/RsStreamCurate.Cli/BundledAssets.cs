namespace RsStreamCurate.Cli;

/// <summary>Paths of the sample data and reward-model checkpoint that ship next to the executable.</summary>
public static class BundledAssets
{
    /// <summary>Sample manifest copied from deploy/sample at build time.</summary>
    public static string SampleManifest => Path.Combine(AppContext.BaseDirectory, "sample", "captions.jsonl");

    /// <summary>Shipped reward-model checkpoint copied from deploy/models at build time.</summary>
    public static string DefaultCheckpoint => Path.Combine(AppContext.BaseDirectory, "models", "reward-v2");
}
