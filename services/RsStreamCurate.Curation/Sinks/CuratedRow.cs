namespace RsStreamCurate.Curation.Sinks;

/// <summary>One kept candidate as stored by the sinks, with the columns of shards and of the PostgreSQL table.</summary>
public sealed record CuratedRow(
    string CandidateId,
    string ImageId,
    string ImageUri,
    string Text,
    string Generator,
    string? Label,
    string? Defect,
    double Score,
    string ModelVersion,
    string WindowId,
    int Rank)
{
    /// <summary>Returns the kept candidates of a window as rows, with rank 1 for the best.</summary>
    public static IReadOnlyList<CuratedRow> FromWindow(ClosedWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        var rows = new CuratedRow[window.Kept.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            var kept = window.Kept[i];
            var c = kept.Candidate;
            rows[i] = new CuratedRow(
                c.CandidateId, c.ImageId, c.ImageUri, c.Text, c.Generator, c.Label, c.Defect,
                kept.Score, kept.ModelVersion, window.WindowId, i + 1);
        }

        return rows;
    }
}
