using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using RsStreamCurate.Contracts;
using RsStreamCurate.Curation.Sinks;

namespace RsStreamCurate.Curation.Tests;

/// <summary>
/// Runs against the real server named by RSCURATE_TEST_POSTGRES. Each test gets a schema of its own, so the
/// tests can run in parallel and side by side with other runs on the same database.
/// </summary>
public sealed class PostgresCuratedSinkTests : IAsyncLifetime
{
    private const string ConnectionVariable = "RSCURATE_TEST_POSTGRES";

    private readonly string _schema = "curation_test_" + Guid.NewGuid().ToString("N")[..16];
    private string? _connectionString;

    private string Table => $"{_schema}.curated";

    private string WindowsTable => $"{_schema}.windows";

    public Task InitializeAsync()
    {
        _connectionString = Environment.GetEnvironmentVariable(ConnectionVariable);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (string.IsNullOrEmpty(_connectionString))
        {
            return;
        }

        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Replay_adds_no_rows()
    {
        var windows = TestData.CurateAll(Candidates(95), windowSize: 20);
        int expectedRows = windows.Sum(w => w.Kept.Count);

        await using (var sink = NewSink())
        {
            int inserted = 0;
            foreach (var window in windows)
            {
                inserted += await sink.WriteAsync(window, CancellationToken.None);
            }

            Assert.Equal(expectedRows, inserted);

            foreach (var window in windows)
            {
                Assert.Equal(0, await sink.WriteAsync(window, CancellationToken.None));
            }
        }

        await using (var restarted = NewSink())
        {
            foreach (var window in windows)
            {
                Assert.Equal(0, await restarted.WriteAsync(window, CancellationToken.None));
            }
        }

        Assert.Equal(expectedRows, await CountAsync(Table));
        Assert.Equal(windows.Count, await CountAsync(WindowsTable));
    }

    [Fact]
    public async Task Rows_read_back_with_every_column()
    {
        var window = Assert.Single(TestData.CurateAll(
            [
                TestData.Scored("img1", "an airport with two runways", 0.9, label: "airport"),
                TestData.Scored("img2", "a stadium beside a river", 0.8, label: null, defect: "wrong_object"),
                TestData.Scored("img3", "farmland", 0.1),
            ],
            windowSize: 3,
            fraction: 0.5));

        await using (var sink = NewSink())
        {
            await sink.WriteAsync(window, CancellationToken.None);
        }

        await using var connection = await OpenAsync();
        await using var select = new NpgsqlCommand(
            $"SELECT candidate_id, image_id, image_uri, text, generator, label, defect, score, model_version, window_id, rank, curated_at FROM {Table} ORDER BY rank",
            connection);
        await using var reader = await select.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal(window.Kept[0].Candidate.CandidateId, reader.GetString(0));
        Assert.Equal("img1", reader.GetString(1));
        Assert.Equal("images/img1.jpg", reader.GetString(2));
        Assert.Equal("an airport with two runways", reader.GetString(3));
        Assert.Equal("rule.label", reader.GetString(4));
        Assert.Equal("airport", reader.GetString(5));
        Assert.True(reader.IsDBNull(6));
        Assert.Equal(0.9, reader.GetDouble(7));
        Assert.Equal("v1", reader.GetString(8));
        Assert.Equal(window.WindowId, reader.GetString(9));
        Assert.Equal(1, reader.GetInt32(10));
        Assert.True(reader.GetDateTime(11) > DateTime.UtcNow.AddMinutes(-5), "curated_at should be the insert time");

        Assert.True(await reader.ReadAsync());
        Assert.True(reader.IsDBNull(5));
        Assert.Equal("wrong_object", reader.GetString(6));
        Assert.Equal(2, reader.GetInt32(10));
        Assert.False(await reader.ReadAsync());
    }

    [Fact]
    public async Task Window_row_describes_window()
    {
        var window = Assert.Single(TestData.CurateAll(Candidates(10), windowSize: 10));

        await using (var sink = NewSink())
        {
            await sink.WriteAsync(window, CancellationToken.None);
        }

        await using var connection = await OpenAsync();
        await using var select = new NpgsqlCommand(
            $"SELECT model_version, size, kept, rows_inserted, threshold, fraction, close_reason, opened_at FROM {WindowsTable} WHERE window_id = $1",
            connection);
        select.Parameters.AddWithValue(window.WindowId);
        await using var reader = await select.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync(), $"window {window.WindowId} should have a row");
        Assert.Equal("v1", reader.GetString(0));
        Assert.Equal(10, reader.GetInt32(1));
        Assert.Equal(3, reader.GetInt32(2));
        Assert.Equal(3, reader.GetInt32(3));
        Assert.Equal(window.Threshold, reader.GetDouble(4));
        Assert.Equal(0.3, reader.GetDouble(5));
        Assert.Equal("count", reader.GetString(6));
        Assert.Equal(TestData.Start.UtcDateTime, reader.GetDateTime(7));
    }

    [Fact]
    public async Task Replay_with_new_boundaries_inserts_only_new_candidates()
    {
        var candidates = Candidates(40);
        var original = TestData.CurateAll(candidates, windowSize: 20);
        var replay = Assert.Single(TestData.CurateAll(candidates, windowSize: 40));

        await using var sink = NewSink();
        foreach (var window in original)
        {
            await sink.WriteAsync(window, CancellationToken.None);
        }

        int inserted = await sink.WriteAsync(replay, CancellationToken.None);

        var originalIds = original.SelectMany(w => w.Kept).Select(k => k.Candidate.CandidateId).ToHashSet();
        int expectedNew = replay.Kept.Count(k => !originalIds.Contains(k.Candidate.CandidateId));
        Assert.Equal(expectedNew, inserted);
        Assert.Equal(originalIds.Count + expectedNew, await CountAsync(Table));
    }

    [Fact]
    public async Task Concurrent_sinks_insert_each_row_once()
    {
        var windows = TestData.CurateAll(Candidates(200), windowSize: 25);
        await using var first = NewSink();
        await using var second = NewSink();

        var results = await Task.WhenAll(
            Task.Run(() => WriteAllAsync(first, windows)),
            Task.Run(() => WriteAllAsync(second, windows)));

        int expectedRows = windows.Sum(w => w.Kept.Count);
        Assert.Equal(expectedRows, results.Sum());
        Assert.Equal(expectedRows, await CountAsync(Table));
        Assert.Equal(windows.Count, await CountAsync(WindowsTable));
    }

    [Fact]
    public async Task Composite_sink_writes_dataset_and_postgres()
    {
        using var directory = TestData.TempDirectory();
        var windows = TestData.CurateAll(Candidates(50), windowSize: 20);
        int expectedRows = windows.Sum(w => w.Kept.Count);

        await using (var composite = new CompositeCuratedWindowSink(
        [
            new DatasetDirectorySink(directory.Path, new FakeTimeProvider(TestData.Start), NullLogger<DatasetDirectorySink>.Instance),
            NewSink(),
        ]))
        {
            await composite.InitializeAsync(CancellationToken.None);
            foreach (var window in windows)
            {
                await composite.WriteAsync(window, CancellationToken.None);
                await composite.WriteAsync(window, CancellationToken.None);
            }
        }

        Assert.Equal(expectedRows, await CountAsync(Table));
        Assert.Equal(expectedRows, DatasetDirectorySink.ReadManifest(directory.Path).Sum(e => e.RowsWritten));
    }

    [Fact]
    public void Sink_rejects_unsafe_table_name()
    {
        var error = Assert.Throws<ArgumentException>(() => new PostgresCuratedSink(
            "Host=127.0.0.1;Port=1;Username=nobody", "curated; DROP TABLE x", "windows", NullLogger<PostgresCuratedSink>.Instance));

        Assert.Contains("invalid", error.Message);
    }

    private PostgresCuratedSink NewSink() =>
        new(RequireConnectionString(), Table, WindowsTable, NullLogger<PostgresCuratedSink>.Instance);

    private string RequireConnectionString()
    {
        if (string.IsNullOrEmpty(_connectionString))
        {
            Assert.Fail(
                $"{ConnectionVariable} is not set, so there is no PostgreSQL server to test against. Run tools/run-tests.sh, " +
                $"which starts a scratch PostgreSQL 15 on 127.0.0.1 and sets {ConnectionVariable}, or start one yourself and set " +
                $"{ConnectionVariable}=\"Host=127.0.0.1;Port=PORT;Username=postgres;Database=DB\".");
        }

        return _connectionString!;
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(RequireConnectionString());
        await connection.OpenAsync();
        return connection;
    }

    private async Task<long> CountAsync(string table)
    {
        await using var connection = await OpenAsync();
        await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private static async Task<int> WriteAllAsync(ICuratedWindowSink sink, IEnumerable<ClosedWindow> windows)
    {
        int inserted = 0;
        foreach (var window in windows)
        {
            inserted += await sink.WriteAsync(window, CancellationToken.None);
        }

        return inserted;
    }

    private static List<ScoredCandidate> Candidates(int count)
    {
        var random = new Random(count);
        return Enumerable.Range(0, count)
            .Select(i => TestData.Scored($"img{i / 3}", $"caption {i} of image {i / 3}", Math.Round(random.NextDouble(), 3)))
            .ToList();
    }
}
