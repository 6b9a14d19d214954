using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using RsStreamCurate.Feedback.Storage;

namespace RsStreamCurate.Feedback.Tests;

/// <summary>
/// Runs against the real server named by RSCURATE_TEST_POSTGRES. Each test uses a schema of its own, so runs
/// can share one database.
/// </summary>
public sealed class PostgresPreferenceStoreTests : IAsyncLifetime
{
    private const string ConnectionVariable = "RSCURATE_TEST_POSTGRES";

    private readonly string _schema = "feedback_test_" + Guid.NewGuid().ToString("N")[..16];
    private string _connectionString = string.Empty;

    private string Table => $"{_schema}.preferences";

    public Task InitializeAsync()
    {
        _connectionString = Environment.GetEnvironmentVariable(ConnectionVariable) ?? string.Empty;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_connectionString.Length == 0)
        {
            return;
        }

        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Retried_labels_are_stored_once()
    {
        var records = Enumerable.Range(0, 6).Select(i => TestRecords.Create(i)).ToList();
        await using (var store = NewStore())
        {
            Assert.Empty(await store.OpenAsync(CancellationToken.None));
            var first = await store.AddAsync(records[..4], CancellationToken.None);
            var retry = await store.AddAsync([.. records, records[5]], CancellationToken.None);

            Assert.Equal(records[..4], first);
            Assert.Equal(records[4..], retry);
        }

        await using (var restarted = NewStore())
        {
            var loaded = await restarted.OpenAsync(CancellationToken.None);
            Assert.Equal(records, loaded);
            Assert.Empty(await restarted.AddAsync(records, CancellationToken.None));
        }

        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand($"SELECT count(*) FROM {Table}", connection);
        Assert.Equal(6L, await count.ExecuteScalarAsync());
    }

    private PostgresPreferenceStore NewStore()
    {
        Assert.True(
            _connectionString.Length > 0,
            $"{ConnectionVariable} is not set. Run bash tools/run-tests.sh, which starts a scratch PostgreSQL, or set it to an Npgsql connection string such as Host=127.0.0.1;Port=55432;Username=postgres;Database=rscurate_test.");
        return new PostgresPreferenceStore(_connectionString, Table, NullLogger<PostgresPreferenceStore>.Instance);
    }
}
