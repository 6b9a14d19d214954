using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using RsStreamCurate.Contracts;

namespace RsStreamCurate.Curation.Tests;

internal static class TestData
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Creates a scored candidate whose id is computed from its image id and text, as producers do.</summary>
    public static ScoredCandidate Scored(string imageId, string text, double score, string modelVersion = "v1", string? label = "airport", string? defect = null)
    {
        var caption = new CandidateCaption
        {
            CandidateId = CandidateId.Compute(imageId, text, "rule.label"),
            ImageId = imageId,
            ImageUri = $"images/{imageId}.jpg",
            Text = text,
            Generator = "rule.label",
            Label = label,
            Defect = defect,
            CreatedAt = Start,
        };
        return new ScoredCandidate { Candidate = caption, Score = score, ModelVersion = modelVersion, ScoredAt = Start };
    }

    /// <summary>Creates a candidate with a chosen id, for tests that need to control id order.</summary>
    public static ScoredCandidate WithId(string candidateId, double score, string modelVersion = "v1")
    {
        var caption = new CandidateCaption
        {
            CandidateId = candidateId,
            ImageId = "img-" + candidateId,
            ImageUri = $"images/{candidateId}.jpg",
            Text = "text " + candidateId,
            Generator = "human",
            CreatedAt = Start,
        };
        return new ScoredCandidate { Candidate = caption, Score = score, ModelVersion = modelVersion, ScoredAt = Start };
    }

    public static CurationEngine Engine(FakeTimeProvider time, int windowSize = 1000, double fraction = 0.3, TimeSpan? maxAge = null) =>
        new(
            Options.Create(new CurationOptions
            {
                Fraction = fraction,
                WindowSize = windowSize,
                MaxWindowAge = maxAge ?? TimeSpan.FromSeconds(30),
                OutputDirectory = "unused",
            }),
            time,
            NullLogger<CurationEngine>.Instance);

    public static SourcePosition Position(long offset, int partition = 0) => new(Topics.Scored, partition, offset);

    /// <summary>Runs candidates through an engine and returns every closed window, including the flushed last one.</summary>
    public static List<ClosedWindow> CurateAll(IEnumerable<ScoredCandidate> candidates, int windowSize, double fraction = 0.3)
    {
        var engine = Engine(new FakeTimeProvider(Start), windowSize, fraction);
        var windows = new List<ClosedWindow>();
        long offset = 0;
        foreach (var candidate in candidates)
        {
            windows.AddRange(engine.Add(candidate, Position(offset++)));
        }

        if (engine.Flush() is { } last)
        {
            windows.Add(last);
        }

        return windows;
    }

    /// <summary>Creates a temporary directory that is deleted when disposed.</summary>
    public static TemporaryDirectory TempDirectory() => new();

    internal sealed class TemporaryDirectory : IDisposable
    {
        public TemporaryDirectory()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rscurate-test-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public void Dispose()
        {
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
        }
    }
}
