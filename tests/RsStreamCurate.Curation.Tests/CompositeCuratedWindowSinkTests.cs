using RsStreamCurate.Curation.Sinks;

namespace RsStreamCurate.Curation.Tests;

public sealed class CompositeCuratedWindowSinkTests
{
    [Fact]
    public async Task Failure_of_any_sink_propagates()
    {
        var window = Assert.Single(TestData.CurateAll([TestData.WithId("a", 1)], windowSize: 1));
        var recording = new RecordingSink("first", fail: false);
        await using var composite = new CompositeCuratedWindowSink([recording, new RecordingSink("second", fail: true)]);

        var error = await Assert.ThrowsAsync<IOException>(() => composite.WriteAsync(window, CancellationToken.None));

        Assert.Equal("second failed", error.Message);
        Assert.Equal([window.WindowId], recording.Written);
    }

    [Fact]
    public async Task Returns_rows_of_first_sink()
    {
        var window = Assert.Single(TestData.CurateAll([TestData.WithId("a", 1), TestData.WithId("b", 2)], windowSize: 2, fraction: 1));
        await using var composite = new CompositeCuratedWindowSink([new RecordingSink("first", false), new RecordingSink("second", false)]);

        Assert.Equal(2, await composite.WriteAsync(window, CancellationToken.None));
        Assert.Equal("first+second", composite.Name);
    }

    [Fact]
    public void Rejects_empty_sink_list()
    {
        Assert.Throws<ArgumentException>(() => new CompositeCuratedWindowSink([]));
    }

    private sealed class RecordingSink(string name, bool fail) : ICuratedWindowSink
    {
        public List<string> Written { get; } = [];

        public string Name => name;

        public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<int> WriteAsync(ClosedWindow window, CancellationToken cancellationToken)
        {
            if (fail)
            {
                throw new IOException($"{name} failed");
            }

            Written.Add(window.WindowId);
            return Task.FromResult(window.Kept.Count);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
