using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using RsStreamCurate.Feedback.Storage;

namespace RsStreamCurate.Feedback.Tests;

public sealed class JsonlPreferenceStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rscurate-jsonl-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string FilePath => Path.Combine(_directory, JsonlPreferenceStore.FileName);

    [Fact]
    public async Task Labels_survive_restart()
    {
        var records = Enumerable.Range(0, 5).Select(i => TestRecords.Create(i)).ToList();
        await using (var store = NewStore())
        {
            Assert.Empty(await store.OpenAsync(CancellationToken.None));
            Assert.Equal(3, (await store.AddAsync(records[..3], CancellationToken.None)).Count);
            Assert.Equal(2, (await store.AddAsync(records, CancellationToken.None)).Count);
        }

        await using (var reopened = NewStore())
        {
            var loaded = await reopened.OpenAsync(CancellationToken.None);
            Assert.Equal(records, loaded);
            Assert.Empty(await reopened.AddAsync(records, CancellationToken.None));
        }

        Assert.Equal(5, File.ReadAllLines(FilePath).Length);
    }

    [Fact]
    public async Task Repeat_within_batch_is_stored_once()
    {
        var record = TestRecords.Create(1);
        await using var store = NewStore();
        await store.OpenAsync(CancellationToken.None);

        var added = await store.AddAsync([record, record], CancellationToken.None);

        Assert.Single(added);
        Assert.Single(File.ReadAllLines(FilePath));
    }

    [Fact]
    public async Task Torn_last_line_is_truncated()
    {
        var records = Enumerable.Range(0, 3).Select(i => TestRecords.Create(i)).ToList();
        await using (var store = NewStore())
        {
            await store.OpenAsync(CancellationToken.None);
            await store.AddAsync(records[..2], CancellationToken.None);
        }

        long intactLength = new FileInfo(FilePath).Length;
        await File.AppendAllTextAsync(FilePath, """{"preference_id":"abc","labeller_id":"al""");

        await using (var repaired = NewStore())
        {
            var loaded = await repaired.OpenAsync(CancellationToken.None);
            Assert.Equal(records[..2], loaded);
            Assert.Equal(intactLength, new FileInfo(FilePath).Length);
            Assert.Single(await repaired.AddAsync([records[2]], CancellationToken.None));
        }

        await using var reopened = NewStore();
        Assert.Equal(records, await reopened.OpenAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Corrupt_middle_line_fails_open()
    {
        await using (var store = NewStore())
        {
            await store.OpenAsync(CancellationToken.None);
            await store.AddAsync([TestRecords.Create(1)], CancellationToken.None);
        }

        await File.AppendAllTextAsync(FilePath, "{broken\n", Encoding.UTF8);
        await File.AppendAllTextAsync(FilePath, File.ReadAllLines(FilePath)[0] + "\n", Encoding.UTF8);

        await using var reopened = NewStore();
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => reopened.OpenAsync(CancellationToken.None));
        Assert.Contains("Line 2", error.Message);
    }

    private JsonlPreferenceStore NewStore() => new(_directory, NullLogger<JsonlPreferenceStore>.Instance);
}
