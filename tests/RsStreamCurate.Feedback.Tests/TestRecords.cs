using RsStreamCurate.Feedback.Storage;

namespace RsStreamCurate.Feedback.Tests;

internal static class TestRecords
{
    public static PreferenceRecord Create(int i, string labeller = "alice") => new()
    {
        PreferenceId = PreferenceIds.Compute(labeller, $"image_{i}", $"good caption {i}", $"bad caption {i}"),
        LabellerId = labeller,
        ImageId = $"image_{i}",
        ChosenText = $"good caption {i}",
        RejectedText = $"bad caption {i}",
        ChosenCandidateId = i % 2 == 0 ? $"cand-{i}-a" : null,
        RejectedCandidateId = i % 2 == 0 ? $"cand-{i}-b" : null,
        Dimension = i % 3 == 0 ? "clarity" : null,
        Comment = i % 4 == 0 ? "the second caption names no object" : null,
        ModelVersion = i % 2 == 0 ? "reward-v1" : null,
        RecordedAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(i),
    };
}
