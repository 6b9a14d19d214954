using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using RsStreamCurate.Contracts;

namespace RsStreamCurate.Curation.Tests;

public sealed class CurationEngineTests
{
    [Fact]
    public void Window_closes_by_count()
    {
        var engine = TestData.Engine(new FakeTimeProvider(TestData.Start), windowSize: 10);

        for (int i = 0; i < 9; i++)
        {
            Assert.Empty(engine.Add(TestData.WithId($"c{i}", i), TestData.Position(i)));
        }

        var closed = Assert.Single(engine.Add(TestData.WithId("c9", 9), TestData.Position(9)));

        Assert.Equal(CloseReason.Count, closed.CloseReason);
        Assert.Equal(10, closed.Size);
        Assert.Equal(3, closed.Kept.Count);
        Assert.Equal(["c9", "c8", "c7"], closed.Kept.Select(k => k.Candidate.CandidateId));
        Assert.Equal(7, closed.Threshold);
        Assert.Equal(0, engine.OpenWindowSize);
    }

    [Fact]
    public void Model_version_change_closes_window()
    {
        var engine = TestData.Engine(new FakeTimeProvider(TestData.Start), windowSize: 100);
        for (int i = 0; i < 5; i++)
        {
            engine.Add(TestData.WithId($"a{i}", i, "v1"), TestData.Position(i));
        }

        var closed = Assert.Single(engine.Add(TestData.WithId("b0", 100, "v2"), TestData.Position(5)));

        Assert.Equal(CloseReason.ModelVersion, closed.CloseReason);
        Assert.Equal("v1", closed.ModelVersion);
        Assert.Equal(5, closed.Size);
        Assert.All(closed.Kept, k => Assert.Equal("v1", k.ModelVersion));
        Assert.Equal(1, engine.OpenWindowSize);

        var next = engine.Flush();
        Assert.NotNull(next);
        Assert.Equal("v2", next.ModelVersion);
        Assert.Equal(["b0"], next.Kept.Select(k => k.Candidate.CandidateId));
    }

    [Fact]
    public void No_window_mixes_model_versions()
    {
        var random = new Random(7);
        var candidates = Enumerable.Range(0, 500)
            .Select(i => TestData.WithId($"c{i:D4}", random.NextDouble(), random.Next(3) == 0 ? "v2" : "v1"))
            .ToList();

        var windows = TestData.CurateAll(candidates, windowSize: 20);

        Assert.Equal(500, windows.Sum(w => w.Size));
        foreach (var window in windows)
        {
            Assert.All(window.Kept, k => Assert.Equal(window.ModelVersion, k.ModelVersion));
            Assert.Equal(TopFractionSelector.KeepCount(window.Size, 0.3), window.Kept.Count);
        }
    }

    [Fact]
    public void Size_one_version_change_closes_two()
    {
        var engine = TestData.Engine(new FakeTimeProvider(TestData.Start), windowSize: 1);
        var first = Assert.Single(engine.Add(TestData.WithId("a", 1, "v1"), TestData.Position(0)));
        Assert.Equal(CloseReason.Count, first.CloseReason);

        var second = Assert.Single(engine.Add(TestData.WithId("b", 1, "v2"), TestData.Position(1)));
        Assert.Equal("v2", second.ModelVersion);
    }

    [Fact]
    public void Window_closes_by_age_on_idle_tick()
    {
        var time = new FakeTimeProvider(TestData.Start);
        var engine = TestData.Engine(time, windowSize: 100, maxAge: TimeSpan.FromSeconds(30));
        engine.Add(TestData.WithId("a", 1), TestData.Position(0));
        time.Advance(TimeSpan.FromSeconds(10));
        engine.Add(TestData.WithId("b", 2), TestData.Position(1));

        time.Advance(TimeSpan.FromSeconds(19));
        Assert.Null(engine.CloseExpired());

        time.Advance(TimeSpan.FromSeconds(1));
        var closed = engine.CloseExpired();

        Assert.NotNull(closed);
        Assert.Equal(CloseReason.Age, closed.CloseReason);
        Assert.Equal(2, closed.Size);
        Assert.Equal(TestData.Start, closed.OpenedAt);
        Assert.Equal(TestData.Start.AddSeconds(30), closed.ClosedAt);
        Assert.Null(engine.CloseExpired());
    }

    [Fact]
    public void Expired_window_closes_when_next_candidate_arrives()
    {
        var time = new FakeTimeProvider(TestData.Start);
        var engine = TestData.Engine(time, windowSize: 100, maxAge: TimeSpan.FromSeconds(30));
        engine.Add(TestData.WithId("a", 1), TestData.Position(0));
        time.Advance(TimeSpan.FromMinutes(5));

        var closed = Assert.Single(engine.Add(TestData.WithId("b", 2), TestData.Position(1)));

        Assert.Equal(CloseReason.Age, closed.CloseReason);
        Assert.Equal(["a"], closed.Kept.Select(k => k.Candidate.CandidateId));
        Assert.Equal(1, engine.OpenWindowSize);
    }

    [Fact]
    public void Duplicate_in_window_counts_once()
    {
        var engine = TestData.Engine(new FakeTimeProvider(TestData.Start), windowSize: 3);
        var a = TestData.Scored("img1", "an airport with two runways", 0.9);
        var b = TestData.Scored("img2", "a dense residential area", 0.5);
        var c = TestData.Scored("img3", "a river crossing farmland", 0.1);

        Assert.Empty(engine.Add(a, TestData.Position(0)));
        Assert.Empty(engine.Add(a, TestData.Position(1)));
        Assert.Empty(engine.Add(b, TestData.Position(2)));
        Assert.Empty(engine.Add(b with { Score = 99 }, TestData.Position(3)));
        var closed = Assert.Single(engine.Add(c, TestData.Position(4)));

        Assert.Equal(3, closed.Size);
        Assert.Equal(2, closed.DuplicateCount);
        Assert.Equal([a.Candidate.CandidateId], closed.Kept.Select(k => k.Candidate.CandidateId));
        Assert.Equal(0.9, closed.Threshold);
        Assert.Equal([TestData.Position(4)], closed.SourcePositions);
    }

    [Fact]
    public void Source_positions_are_highest_offset_per_partition()
    {
        var engine = TestData.Engine(new FakeTimeProvider(TestData.Start), windowSize: 100);
        engine.Add(TestData.WithId("a", 1), TestData.Position(10, partition: 0));
        engine.Add(TestData.WithId("b", 1), TestData.Position(7, partition: 1));
        engine.Add(TestData.WithId("c", 1), TestData.Position(11, partition: 0));
        engine.Add(TestData.WithId("d", 1), TestData.Position(8, partition: 1));
        Assert.True(engine.TrackPosition(TestData.Position(12, partition: 0)));

        var closed = engine.Flush();

        Assert.NotNull(closed);
        Assert.Equal(CloseReason.Shutdown, closed.CloseReason);
        var positions = closed.SourcePositions.OrderBy(p => p.Partition).ToArray();
        Assert.Equal([TestData.Position(12, 0), TestData.Position(8, 1)], positions);
        Assert.Equal(13, positions[0].NextOffset);
    }

    [Fact]
    public void TrackPosition_without_open_window_returns_false()
    {
        var engine = TestData.Engine(new FakeTimeProvider(TestData.Start));

        Assert.False(engine.TrackPosition(TestData.Position(3)));
        Assert.Null(engine.Flush());
    }

    [Fact]
    public void Window_id_ignores_arrival_order()
    {
        var candidates = Enumerable.Range(0, 10).Select(i => TestData.WithId($"c{i}", i % 3)).ToList();

        var forward = Assert.Single(TestData.CurateAll(candidates, windowSize: 10));
        candidates.Reverse();
        var reversed = Assert.Single(TestData.CurateAll(candidates, windowSize: 10));

        Assert.Equal(forward.WindowId, reversed.WindowId);
        Assert.Equal(forward.Kept.Select(k => k.Candidate.CandidateId), reversed.Kept.Select(k => k.Candidate.CandidateId));
        Assert.Matches("^[0-9a-f]{32}$", forward.WindowId);
    }

    [Fact]
    public void Window_id_differs_by_version_fraction_and_members()
    {
        string[] ids = ["a", "b", "c"];

        string baseline = WindowIds.Compute("v1", 0.3, ids);

        Assert.NotEqual(baseline, WindowIds.Compute("v2", 0.3, ids));
        Assert.NotEqual(baseline, WindowIds.Compute("v1", 0.5, ids));
        Assert.NotEqual(baseline, WindowIds.Compute("v1", 0.3, ["a", "b"]));
        Assert.Equal(baseline, WindowIds.Compute("v1", 0.3, ["c", "a", "b"]));
    }

    [Fact]
    public void Add_rejects_nan_score_and_missing_version()
    {
        var engine = TestData.Engine(new FakeTimeProvider(TestData.Start));

        Assert.Throws<ArgumentException>(() => engine.Add(TestData.WithId("a", double.NaN), TestData.Position(0)));
        Assert.Throws<ArgumentException>(() => engine.Add(TestData.WithId("a", 1, modelVersion: ""), TestData.Position(0)));
        Assert.Equal(0, engine.OpenWindowSize);
    }

    [Fact]
    public void ToCuratedWindow_maps_every_field()
    {
        var engine = TestData.Engine(new FakeTimeProvider(TestData.Start), windowSize: 4, fraction: 0.5);
        engine.Add(TestData.WithId("a", 0.2), TestData.Position(0));
        engine.Add(TestData.WithId("b", 0.8), TestData.Position(1));
        engine.Add(TestData.WithId("c", 0.4), TestData.Position(2));
        var closed = Assert.Single(engine.Add(TestData.WithId("d", 0.6), TestData.Position(3)));

        var message = closed.ToCuratedWindow();
        var decoded = MessageCodec.DecodeCuratedWindow(MessageCodec.Encode(message));

        Assert.Equal(closed.WindowId, decoded.WindowId);
        Assert.Equal("v1", decoded.ModelVersion);
        Assert.Equal(4, decoded.Size);
        Assert.Equal(2, decoded.Kept);
        Assert.Equal(0.5, decoded.Fraction);
        Assert.Equal(0.6, decoded.Threshold);
        Assert.Equal("count", decoded.CloseReason);
        Assert.Equal(TestData.Start, decoded.OpenedAt);
        Assert.Equal(TestData.Start, decoded.ClosedAt);
        Assert.Equal(["b", "d"], decoded.KeptCandidateIds);
    }

    [Fact]
    public void Closing_sets_threshold_and_kept_ratio_gauges()
    {
        // A model version of its own keeps this test independent of other tests that touch the static gauges.
        string version = "metrics-" + Guid.NewGuid().ToString("N");
        var engine = TestData.Engine(new FakeTimeProvider(TestData.Start), windowSize: 10);
        for (int i = 0; i < 10; i++)
        {
            engine.Add(TestData.WithId($"m{i}", i / 10.0, version), TestData.Position(i));
        }

        Assert.Equal(0.7, CurationMetrics.WindowThreshold.WithLabels(version).Value, 12);
        Assert.Equal(0.3, CurationMetrics.WindowKeptRatio.WithLabels(version).Value, 12);
    }

    [Fact]
    public async Task Concurrent_add_and_tick_lose_nothing()
    {
        var time = new FakeTimeProvider(TestData.Start);
        var engine = TestData.Engine(time, windowSize: 97, maxAge: TimeSpan.FromSeconds(1));
        var windows = new System.Collections.Concurrent.ConcurrentBag<ClosedWindow>();
        using var stop = new CancellationTokenSource();
        using var tickerRunning = new ManualResetEventSlim();

        var ticker = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                time.Advance(TimeSpan.FromMilliseconds(300));
                if (engine.CloseExpired() is { } expired)
                {
                    windows.Add(expired);
                }

                tickerRunning.Set();

                // A window ages out after four ticks, so a real pause between ticks lets producers fill windows to their size.
                Thread.Sleep(2);
            }
        });
        tickerRunning.Wait(TimeSpan.FromSeconds(10));

        var producers = Enumerable.Range(0, 2).Select(p => Task.Run(() =>
        {
            for (int i = 0; i < 5000; i++)
            {
                foreach (var closed in engine.Add(TestData.WithId($"p{p}-{i:D5}", i % 101), TestData.Position(i, partition: p)))
                {
                    windows.Add(closed);
                }

                // Pauses of several ticks give the ticker time to close windows by age between additions.
                if (i % 1000 == 0)
                {
                    Thread.Sleep(10);
                }
            }
        })).ToArray();

        await Task.WhenAll(producers);

        // A busy machine can starve the ticker during the pauses, so one more candidate is left open until the running
        // ticker closes a window by age.
        foreach (var closed in engine.Add(TestData.WithId("tail", 50), TestData.Position(0, partition: 2)))
        {
            windows.Add(closed);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!windows.Any(w => w.CloseReason == CloseReason.Age) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        stop.Cancel();
        await ticker;
        if (engine.Flush() is { } last)
        {
            windows.Add(last);
        }

        Assert.Equal(10_001, windows.Sum(w => w.Size));
        Assert.All(windows, w => Assert.Equal(TopFractionSelector.KeepCount(w.Size, 0.3), w.Kept.Count));
        Assert.Contains(windows, w => w.CloseReason == CloseReason.Age);
        Assert.Contains(windows, w => w.CloseReason == CloseReason.Count);
    }

    [Fact]
    public void Engine_rejects_invalid_options_naming_the_setting()
    {
        var options = Options.Create(new CurationOptions { Fraction = 0, WindowSize = 0, MaxWindowAge = TimeSpan.Zero });

        var error = Assert.Throws<OptionsValidationException>(
            () => new CurationEngine(options, TimeProvider.System, NullLogger<CurationEngine>.Instance));

        Assert.Contains(error.Failures, f => f.Contains("Curation:Fraction", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Curation:WindowSize", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Curation:MaxWindowAge", StringComparison.Ordinal));
    }
}
