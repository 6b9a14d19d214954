namespace RsStreamCurate.Contracts;

/// <summary>
/// Current schema version of each message type. A consumer accepts only the versions it reads and
/// dead-letters the rest, so bump a version whenever a field changes meaning or becomes required.
/// </summary>
public static class SchemaVersions
{
    public const int CandidateCaption = 1;
    public const int ScoredCandidate = 1;
    public const int CuratedWindow = 1;
    public const int DeadLetter = 1;
    public const int ControlEvent = 1;
}
