namespace RsStreamCurate.Contracts;

/// <summary>Kafka topic names of the data plane.</summary>
public static class Topics
{
    /// <summary>Candidate captions waiting to be scored (<see cref="CandidateCaption"/>).</summary>
    public const string Candidates = "rs.candidates";

    /// <summary>Candidates with a reward score attached (<see cref="ScoredCandidate"/>).</summary>
    public const string Scored = "rs.scored";

    /// <summary>One result per closed curation window (<see cref="CuratedWindow"/>).</summary>
    public const string Curated = "rs.curated";

    /// <summary>Messages that a stage could not process (<see cref="DeadLetter"/>).</summary>
    public const string DeadLetter = "rs.deadletter";

    /// <summary>All data-plane topics, in pipeline order.</summary>
    public static readonly IReadOnlyList<string> All = [Candidates, Scored, Curated, DeadLetter];
}
