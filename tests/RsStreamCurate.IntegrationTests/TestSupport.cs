using System.Net;
using System.Net.Sockets;
using RsStreamCurate.Cli;
using RsStreamCurate.Curation.Sinks;
using RsStreamCurate.Scoring;

namespace RsStreamCurate.IntegrationTests;

internal static class TestSupport
{
    /// <summary>Model version of the checkpoint that the command line uses by default.</summary>
    public static string ShippedModelVersion => RewardCheckpoint.ReadMetadata(BundledAssets.DefaultCheckpoint).ModelVersion;

    /// <summary>Returns a TCP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Returns the PostgreSQL connection string that tools/run-tests.sh exports, or fails the test.</summary>
    public static string PostgresConnectionString()
    {
        var value = Environment.GetEnvironmentVariable("RSCURATE_TEST_POSTGRES");
        Assert.False(
            string.IsNullOrWhiteSpace(value),
            "RSCURATE_TEST_POSTGRES is not set. Run the tests with tools/run-tests.sh, which starts a scratch PostgreSQL server on 127.0.0.1 and sets it.");
        return value!;
    }

    /// <summary>Reads the candidate ids of every Parquet shard in a dataset directory.</summary>
    public static async Task<List<string>> ReadShardCandidateIdsAsync(string datasetDirectory)
    {
        var ids = new List<string>();
        var shards = Path.Combine(datasetDirectory, "shards");
        if (!Directory.Exists(shards))
        {
            return ids;
        }

        foreach (var shard in Directory.GetFiles(shards, "*.parquet").Order(StringComparer.Ordinal))
        {
            var (rows, _) = await ParquetShard.ReadAsync(shard, CancellationToken.None);
            ids.AddRange(rows.Select(row => row.CandidateId));
        }

        return ids;
    }

    /// <summary>Creates a temporary folder that is deleted on dispose.</summary>
    public sealed class TemporaryDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("rscurate-test-").FullName;

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // A file still open by a finishing background thread only leaves a temp folder behind.
            }
        }
    }
}
