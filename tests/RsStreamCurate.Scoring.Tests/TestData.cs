namespace RsStreamCurate.Scoring.Tests;

/// <summary>Locates the shared data sets and creates scratch folders for tests.</summary>
internal static class TestData
{
    // Folder name of the shipped checkpoint under deploy/models.
    private const string ShippedModelFolder = "reward-v2";

    private static readonly Lazy<string> DataRoot = new(FindDataRoot);
    private static readonly Lazy<string> ShippedCheckpointFolder = new(FindShippedCheckpoint);

    /// <summary>Folder with rsicd/, ucm-captions/ and the other data sets.</summary>
    public static string Root => DataRoot.Value;

    public static string RsicdFolder => Path.Combine(Root, "rsicd");

    public static string RsicdManifest => Path.Combine(RsicdFolder, "captions.jsonl");

    public static string UcmImages => Path.Combine(Root, "ucm-captions", "images");

    /// <summary>Folder of the checkpoint shipped under deploy/models, found from the test binaries upwards.</summary>
    public static string ShippedCheckpoint => ShippedCheckpointFolder.Value;

    /// <summary>Creates an empty folder under the system temp folder; the caller deletes it.</summary>
    public static DirectoryInfo CreateScratchFolder() =>
        Directory.CreateTempSubdirectory("rscurate-scoring-tests-");

    // RSCURATE_SHARED_DATA wins; otherwise the first ancestor of the test binaries with shared/data/rsicd.
    private static string FindDataRoot()
    {
        var configured = Environment.GetEnvironmentVariable("RSCURATE_SHARED_DATA");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "shared", "data");
            if (Directory.Exists(Path.Combine(candidate, "rsicd")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(
            "No shared/data/rsicd folder was found above the test binaries; set RSCURATE_SHARED_DATA to the data folder.");
    }

    private static string FindShippedCheckpoint()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "deploy", "models", ShippedModelFolder);
            if (File.Exists(Path.Combine(candidate, RewardCheckpoint.MetadataFileName)))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"deploy/models/{ShippedModelFolder} was not found above the test binaries.");
    }
}
