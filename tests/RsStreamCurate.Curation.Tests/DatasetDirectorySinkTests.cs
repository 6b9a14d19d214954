using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using RsStreamCurate.Curation.Sinks;

namespace RsStreamCurate.Curation.Tests;

public sealed class DatasetDirectorySinkTests
{
    [Fact]
    public async Task Shard_reads_back_with_every_column()
    {
        using var directory = TestData.TempDirectory();
        var window = Assert.Single(TestData.CurateAll(
            [
                TestData.Scored("img1", "an airport with two runways", 0.9, label: "airport"),
                TestData.Scored("img2", "a stadium beside a river", 0.8, label: null, defect: "wrong_object"),
                TestData.Scored("img3", "farmland", 0.1),
            ],
            windowSize: 3,
            fraction: 0.5));

        await using (var sink = NewSink(directory.Path))
        {
            Assert.Equal(2, await sink.WriteAsync(window, CancellationToken.None));
        }

        string shard = Path.Combine(directory.Path, "shards", $"window-{window.WindowId}.parquet");
        Assert.True(File.Exists(shard), $"expected shard {shard}");
        var (rows, metadata) = await ParquetShard.ReadAsync(shard, CancellationToken.None);

        Assert.Equal(2, rows.Count);
        var first = rows[0];
        var kept = window.Kept[0];
        Assert.Equal(kept.Candidate.CandidateId, first.CandidateId);
        Assert.Equal("img1", first.ImageId);
        Assert.Equal("images/img1.jpg", first.ImageUri);
        Assert.Equal("an airport with two runways", first.Text);
        Assert.Equal("rule.label", first.Generator);
        Assert.Equal("airport", first.Label);
        Assert.Null(first.Defect);
        Assert.Equal(0.9, first.Score);
        Assert.Equal("v1", first.ModelVersion);
        Assert.Equal(window.WindowId, first.WindowId);
        Assert.Equal(1, first.Rank);

        Assert.Null(rows[1].Label);
        Assert.Equal("wrong_object", rows[1].Defect);
        Assert.Equal(2, rows[1].Rank);
        Assert.Contains(ParquetShard.ManifestMetadataKey, metadata.Keys);
    }

    [Fact]
    public async Task Manifest_line_describes_window()
    {
        using var directory = TestData.TempDirectory();
        var window = Assert.Single(TestData.CurateAll(Candidates(10), windowSize: 10));

        await using (var sink = NewSink(directory.Path))
        {
            await sink.WriteAsync(window, CancellationToken.None);
        }

        var entry = Assert.Single(DatasetDirectorySink.ReadManifest(directory.Path));
        Assert.Equal(window.WindowId, entry.WindowId);
        Assert.Equal("v1", entry.ModelVersion);
        Assert.Equal(10, entry.Size);
        Assert.Equal(3, entry.Kept);
        Assert.Equal(3, entry.RowsWritten);
        Assert.Equal(0, entry.RowsSkipped);
        Assert.Equal(window.Threshold, entry.Threshold);
        Assert.Equal(0.3, entry.Fraction);
        Assert.Equal("count", entry.CloseReason);
        Assert.Equal($"shards/window-{window.WindowId}.parquet", entry.ShardFile);
        Assert.Equal(TestData.Start, entry.WrittenAt);

        string line = File.ReadAllLines(Path.Combine(directory.Path, "manifest.jsonl")).Single();
        Assert.Contains("\"window_id\":", line);
        Assert.Contains("\"close_reason\":\"count\"", line);
    }

    [Fact]
    public async Task Replay_same_windows_adds_no_rows()
    {
        using var directory = TestData.TempDirectory();
        var windows = TestData.CurateAll(Candidates(95), windowSize: 20);

        await using var sink = NewSink(directory.Path);
        int firstPass = 0;
        foreach (var window in windows)
        {
            firstPass += await sink.WriteAsync(window, CancellationToken.None);
        }

        int secondPass = 0;
        foreach (var window in windows)
        {
            secondPass += await sink.WriteAsync(window, CancellationToken.None);
        }

        Assert.Equal(windows.Sum(w => w.Kept.Count), firstPass);
        Assert.Equal(0, secondPass);
        Assert.Equal(windows.Count, DatasetDirectorySink.ReadManifest(directory.Path).Count);
        Assert.Equal(firstPass, (await ReadAllRowsAsync(directory.Path)).Count);
    }

    [Fact]
    public async Task Replay_after_restart_adds_no_rows()
    {
        using var directory = TestData.TempDirectory();
        var windows = TestData.CurateAll(Candidates(60), windowSize: 20);

        await using (var first = NewSink(directory.Path))
        {
            foreach (var window in windows)
            {
                await first.WriteAsync(window, CancellationToken.None);
            }
        }

        await using var restarted = NewSink(directory.Path);
        await restarted.InitializeAsync(CancellationToken.None);
        Assert.Equal(18, restarted.WrittenCandidateCount);

        foreach (var window in windows)
        {
            Assert.Equal(0, await restarted.WriteAsync(window, CancellationToken.None));
        }

        Assert.Equal(3, DatasetDirectorySink.ReadManifest(directory.Path).Count);
        Assert.Equal(3, Directory.GetFiles(Path.Combine(directory.Path, "shards")).Length);
    }

    [Fact]
    public async Task Replay_with_new_boundaries_writes_only_new_candidates()
    {
        using var directory = TestData.TempDirectory();
        var candidates = Candidates(40);
        var original = TestData.CurateAll(candidates, windowSize: 20);
        var replayed = TestData.CurateAll(candidates, windowSize: 40);

        await using var sink = NewSink(directory.Path);
        foreach (var window in original)
        {
            await sink.WriteAsync(window, CancellationToken.None);
        }

        var replay = Assert.Single(replayed);
        int written = await sink.WriteAsync(replay, CancellationToken.None);

        var originalIds = original.SelectMany(w => w.Kept).Select(k => k.Candidate.CandidateId).ToHashSet();
        int expectedNew = replay.Kept.Count(k => !originalIds.Contains(k.Candidate.CandidateId));
        Assert.Equal(expectedNew, written);

        var rows = await ReadAllRowsAsync(directory.Path);
        Assert.Equal(rows.Count, rows.Select(r => r.CandidateId).Distinct().Count());

        var entry = DatasetDirectorySink.ReadManifest(directory.Path).Single(e => e.WindowId == replay.WindowId);
        Assert.Equal(replay.Kept.Count - expectedNew, entry.RowsSkipped);
        Assert.Equal(expectedNew == 0, entry.ShardFile is null);
    }

    [Fact]
    public async Task Window_of_already_written_candidates_writes_no_shard()
    {
        using var directory = TestData.TempDirectory();
        var candidates = Candidates(10);
        var window = Assert.Single(TestData.CurateAll(candidates, windowSize: 10));
        var sameKeptOtherId = window with { WindowId = new string('0', 32), CloseReason = CloseReason.Shutdown };

        await using var sink = NewSink(directory.Path);
        await sink.WriteAsync(window, CancellationToken.None);

        Assert.Equal(0, await sink.WriteAsync(sameKeptOtherId, CancellationToken.None));

        Assert.Single(Directory.GetFiles(Path.Combine(directory.Path, "shards")));
        var entry = DatasetDirectorySink.ReadManifest(directory.Path).Single(e => e.WindowId == sameKeptOtherId.WindowId);
        Assert.Null(entry.ShardFile);
        Assert.Equal(0, entry.RowsWritten);
        Assert.Equal(3, entry.RowsSkipped);
    }

    [Fact]
    public async Task Second_sink_on_same_directory_is_rejected()
    {
        using var directory = TestData.TempDirectory();
        await using var first = NewSink(directory.Path);
        await first.InitializeAsync(CancellationToken.None);

        await using var second = NewSink(directory.Path);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => second.InitializeAsync(CancellationToken.None));

        Assert.Contains("in use by another curation sink", error.Message);
    }

    [Fact]
    public async Task Start_recovers_shard_without_manifest_line()
    {
        using var directory = TestData.TempDirectory();
        var windows = TestData.CurateAll(Candidates(40), windowSize: 20);
        await using (var sink = NewSink(directory.Path))
        {
            foreach (var window in windows)
            {
                await sink.WriteAsync(window, CancellationToken.None);
            }
        }

        // Simulate a crash after the second shard's rename but before its manifest append.
        string manifest = Path.Combine(directory.Path, "manifest.jsonl");
        var lines = File.ReadAllLines(manifest);
        File.WriteAllText(manifest, lines[0] + "\n");

        await using var restarted = NewSink(directory.Path);
        await restarted.InitializeAsync(CancellationToken.None);

        var entries = DatasetDirectorySink.ReadManifest(directory.Path);
        Assert.Equal(windows.Select(w => w.WindowId).Order(), entries.Select(e => e.WindowId).Order());
        Assert.Equal(0, await restarted.WriteAsync(windows[1], CancellationToken.None));
    }

    [Fact]
    public async Task Start_removes_temporary_shard_and_truncated_manifest_line()
    {
        using var directory = TestData.TempDirectory();
        var window = Assert.Single(TestData.CurateAll(Candidates(10), windowSize: 10));
        await using (var sink = NewSink(directory.Path))
        {
            await sink.WriteAsync(window, CancellationToken.None);
        }

        string temporary = Path.Combine(directory.Path, "shards", "window-abc.parquet.tmp");
        File.WriteAllText(temporary, "partial");
        File.AppendAllText(Path.Combine(directory.Path, "manifest.jsonl"), "{\"window_id\":\"trunc");

        await using var restarted = NewSink(directory.Path);
        await restarted.InitializeAsync(CancellationToken.None);

        Assert.False(File.Exists(temporary));
        Assert.Single(DatasetDirectorySink.ReadManifest(directory.Path));
        Assert.EndsWith("}\n", File.ReadAllText(Path.Combine(directory.Path, "manifest.jsonl")));
    }

    private static DatasetDirectorySink NewSink(string path) =>
        new(path, new FakeTimeProvider(TestData.Start), NullLogger<DatasetDirectorySink>.Instance);

    private static List<RsStreamCurate.Contracts.ScoredCandidate> Candidates(int count)
    {
        var random = new Random(count);
        return Enumerable.Range(0, count)
            .Select(i => TestData.Scored($"img{i / 3}", $"caption {i} of image {i / 3}", Math.Round(random.NextDouble(), 3)))
            .ToList();
    }

    private static async Task<List<CuratedRow>> ReadAllRowsAsync(string directory)
    {
        var rows = new List<CuratedRow>();
        foreach (var shard in Directory.GetFiles(Path.Combine(directory, "shards"), "*.parquet"))
        {
            rows.AddRange((await ParquetShard.ReadAsync(shard, CancellationToken.None)).Rows);
        }

        return rows;
    }
}
