using RsStreamCurate.Contracts;

namespace RsStreamCurate.Curation;

/// <summary>
/// A closed curation window: the kept candidates and what the caller needs to store its offsets once a sink
/// has written it.
/// </summary>
public sealed record ClosedWindow
{
    /// <summary>Id from <see cref="WindowIds.Compute"/>: the same candidates, version and fraction give the same id.</summary>
    public required string WindowId { get; init; }

    public required string ModelVersion { get; init; }

    /// <summary>Number of distinct candidates in the window. Repeats of a candidate id count once.</summary>
    public required int Size { get; init; }

    public required double Fraction { get; init; }

    /// <summary>Policy that selected <see cref="Kept"/>.</summary>
    public CurationPolicy Policy { get; init; } = CurationPolicy.TopFraction;

    /// <summary>Kept candidates, best first. The rank of <c>Kept[i]</c> is <c>i + 1</c>.</summary>
    public required IReadOnlyList<ScoredCandidate> Kept { get; init; }

    /// <summary>Lowest kept score. Every closed window has at least one candidate, so it always has one.</summary>
    public required double Threshold { get; init; }

    public required CloseReason CloseReason { get; init; }

    public required DateTimeOffset OpenedAt { get; init; }

    public required DateTimeOffset ClosedAt { get; init; }

    /// <summary>Number of messages whose candidate id was already in the window.</summary>
    public required int DuplicateCount { get; init; }

    /// <summary>
    /// Highest consumed position per topic and partition among the window's messages, including repeats and
    /// messages attached with <see cref="CurationEngine.TrackPosition"/>. Store <see cref="SourcePosition.NextOffset"/>
    /// of each after the window is written.
    /// </summary>
    public required IReadOnlyList<SourcePosition> SourcePositions { get; init; }

    /// <summary>Maps the window to the <c>rs.curated</c> message.</summary>
    public CuratedWindow ToCuratedWindow() => new()
    {
        WindowId = WindowId,
        ModelVersion = ModelVersion,
        Size = Size,
        Kept = Kept.Count,
        Policy = Policy == CurationPolicy.BestOfN ? "best_of_n" : "top_fraction",
        Fraction = Fraction,
        Threshold = Threshold,
        CloseReason = CloseReason.ToLabel(),
        OpenedAt = OpenedAt,
        ClosedAt = ClosedAt,
        KeptCandidateIds = Kept.Select(k => k.Candidate.CandidateId).ToArray(),
    };
}
