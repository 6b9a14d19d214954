using Npgsql;
using RsStreamCurate.Cli;
using Spectre.Console;

namespace RsStreamCurate.IntegrationTests;

/// <summary>Replays the same input through the whole pipeline into PostgreSQL and the dataset directory.</summary>
public sealed class ReplayTests
{
    [Fact]
    public async Task Replay_adds_no_rows()
    {
        string connectionString = TestSupport.PostgresConnectionString();
        using var output = new TestSupport.TemporaryDirectory();
        string schema = $"replay_{Guid.NewGuid():N}"[..20];
        var settings = new RunSettings
        {
            OutputDirectory = Path.Combine(output.Path, "curated"),
            PostgresConnectionString = connectionString,
            MetricsPort = 0,
            Settings = new Dictionary<string, string?>
            {
                ["Curation:PostgresTable"] = $"{schema}.curated_candidates",
                ["Curation:PostgresWindowsTable"] = $"{schema}.curation_windows",
            },
        };
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });

        var first = await new PipelineRunner(console).RunAsync(settings, CancellationToken.None);
        long rowsAfterFirst = await CountRowsAsync(connectionString, $"{schema}.curated_candidates");
        var shardIdsAfterFirst = await TestSupport.ReadShardCandidateIdsAsync(settings.OutputDirectory!);

        var second = await new PipelineRunner(console).RunAsync(settings, CancellationToken.None);
        long rowsAfterSecond = await CountRowsAsync(connectionString, $"{schema}.curated_candidates");
        var shardIdsAfterSecond = await TestSupport.ReadShardCandidateIdsAsync(settings.OutputDirectory!);

        Assert.True(first.CuratedOut > 0, "the first run curated nothing");
        Assert.Equal(first.CuratedOut, rowsAfterFirst);
        Assert.Equal(first.CuratedOut, shardIdsAfterFirst.Count);
        Assert.Equal(first.CandidatesIn, second.CandidatesIn);
        Assert.Equal(rowsAfterFirst, rowsAfterSecond);
        Assert.Equal(shardIdsAfterFirst.Order(StringComparer.Ordinal), shardIdsAfterSecond.Order(StringComparer.Ordinal));
    }

    private static async Task<long> CountRowsAsync(string connectionString, string table)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
