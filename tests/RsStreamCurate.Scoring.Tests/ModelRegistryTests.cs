using RsStreamCurate.Scoring.Registry;

namespace RsStreamCurate.Scoring.Tests;

public sealed class ModelRegistryTests
{
    private static ModelRecord Record(string version, string? parent, string status, double accuracy) => new()
    {
        Version = version,
        ParentVersion = parent,
        Status = status,
        CheckpointPath = "/models/" + version,
        HeldOutAccuracy = accuracy,
        ParentHeldOutAccuracy = parent is null ? null : 0.9,
        LabelCount = parent is null ? 0 : 40,
        DataDigest = "abc123",
        CreatedAt = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero),
    };

    public static IEnumerable<object[]> Registries() => [["file"], ["postgres"]];

    [Theory]
    [MemberData(nameof(Registries))]
    public async Task Registry_tracks_versions_and_current(string kind)
    {
        using var temp = new TemporaryFolder();
        IModelRegistry registry = Create(kind, temp.Path);
        await registry.InitializeAsync(CancellationToken.None);

        Assert.Null(await registry.GetCurrentAsync(CancellationToken.None));

        await registry.RegisterAsync(Record("reward-v1", null, ModelStatus.Bootstrap, 0.9), makeCurrent: true, CancellationToken.None);
        await registry.RegisterAsync(Record("reward-v2", "reward-v1", ModelStatus.Rejected, 0.7), makeCurrent: false, CancellationToken.None);
        await registry.RegisterAsync(Record("reward-v3", "reward-v1", ModelStatus.Published, 0.95), makeCurrent: true, CancellationToken.None);
        await registry.RegisterAsync(Record("reward-v3", "reward-v1", ModelStatus.Published, 0.95), makeCurrent: true, CancellationToken.None);

        var all = await registry.ListAsync(CancellationToken.None);
        var current = await registry.GetCurrentAsync(CancellationToken.None);

        Assert.Equal(["reward-v1", "reward-v2", "reward-v3"], all.Select(r => r.Version));
        Assert.Equal("reward-v3", current!.Version);
        Assert.Equal("reward-v1", current.ParentVersion);
        Assert.Equal(0.95, current.HeldOutAccuracy);
        Assert.Equal(40, current.LabelCount);
        Assert.Equal(ModelStatus.Rejected, all[1].Status);
        Assert.Equal(Record("reward-v2", "reward-v1", ModelStatus.Rejected, 0.7), all[1]);
    }

    [Fact]
    public async Task File_registry_survives_torn_last_line()
    {
        using var temp = new TemporaryFolder();
        var registry = new FileModelRegistry(temp.Path);
        await registry.RegisterAsync(Record("reward-v1", null, ModelStatus.Bootstrap, 0.9), makeCurrent: true, CancellationToken.None);
        await File.AppendAllTextAsync(Path.Combine(temp.Path, "registry.jsonl"), "{\"version\":\"reward-v2\",\"sta");

        var reopened = new FileModelRegistry(temp.Path);

        Assert.Equal(["reward-v1"], (await reopened.ListAsync(CancellationToken.None)).Select(r => r.Version));
        Assert.Equal("reward-v1", (await reopened.GetCurrentAsync(CancellationToken.None))!.Version);
    }

    [Fact]
    public async Task File_registry_rejects_corrupt_middle_line()
    {
        using var temp = new TemporaryFolder();
        var registry = new FileModelRegistry(temp.Path);
        await registry.RegisterAsync(Record("reward-v1", null, ModelStatus.Bootstrap, 0.9), makeCurrent: true, CancellationToken.None);
        var path = Path.Combine(temp.Path, "registry.jsonl");
        var lines = await File.ReadAllLinesAsync(path);
        await File.WriteAllLinesAsync(path, ["not json", .. lines]);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => registry.ListAsync(CancellationToken.None));

        Assert.Contains("registry.jsonl:1", error.Message);
    }

    private static IModelRegistry Create(string kind, string folder)
    {
        if (kind == "file")
        {
            return new FileModelRegistry(folder);
        }

        var connectionString = Environment.GetEnvironmentVariable("RSCURATE_TEST_POSTGRES");
        Assert.False(string.IsNullOrWhiteSpace(connectionString), "RSCURATE_TEST_POSTGRES is not set. Run the tests with tools/run-tests.sh, which starts a scratch PostgreSQL server on 127.0.0.1 and sets it.");
        return new PostgresModelRegistry(connectionString!, $"registry_{Guid.NewGuid():N}"[..24]);
    }

    private sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("rscurate-registry-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
