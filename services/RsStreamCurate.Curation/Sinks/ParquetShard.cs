using Parquet;
using Parquet.Schema;

namespace RsStreamCurate.Curation.Sinks;

/// <summary>Writes and reads the Parquet shard of one window: one row group with the <see cref="CuratedRow"/> columns.</summary>
public static class ParquetShard
{
    /// <summary>Key of the Parquet key-value metadata entry that stores the window's manifest line as JSON.</summary>
    public const string ManifestMetadataKey = "rscurate.manifest_entry";

    private static readonly DataField<string> CandidateId = new("candidate_id", false);
    private static readonly DataField<string> ImageId = new("image_id", false);
    private static readonly DataField<string> ImageUri = new("image_uri", false);
    private static readonly DataField<string> Text = new("text", false);
    private static readonly DataField<string> Generator = new("generator", false);
    private static readonly DataField<string> Label = new("label", true);
    private static readonly DataField<string> Defect = new("defect", true);
    private static readonly DataField<double> Score = new("score", false);
    private static readonly DataField<string> ModelVersion = new("model_version", false);
    private static readonly DataField<string> WindowId = new("window_id", false);
    private static readonly DataField<int> Rank = new("rank", false);

    public static ParquetSchema Schema { get; } = new(
        CandidateId, ImageId, ImageUri, Text, Generator, Label, Defect, Score, ModelVersion, WindowId, Rank);

    /// <summary>Writes the rows to a seekable stream, with the given key-value metadata.</summary>
    public static async Task WriteAsync(Stream output, IReadOnlyList<CuratedRow> rows, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        await using var writer = await ParquetWriter.CreateAsync(Schema, output, cancellationToken: cancellationToken).ConfigureAwait(false);
        writer.CustomMetadata = new Dictionary<string, string>(metadata);

        using var group = writer.CreateRowGroup();
        await group.WriteAsync(CandidateId, rows.Select(r => r.CandidateId).ToArray()).ConfigureAwait(false);
        await group.WriteAsync(ImageId, rows.Select(r => r.ImageId).ToArray()).ConfigureAwait(false);
        await group.WriteAsync(ImageUri, rows.Select(r => r.ImageUri).ToArray()).ConfigureAwait(false);
        await group.WriteAsync(Text, rows.Select(r => r.Text).ToArray()).ConfigureAwait(false);
        await group.WriteAsync(Generator, rows.Select(r => r.Generator).ToArray()).ConfigureAwait(false);
        await group.WriteAsync(Label, rows.Select(r => r.Label).ToArray()).ConfigureAwait(false);
        await group.WriteAsync(Defect, rows.Select(r => r.Defect).ToArray()).ConfigureAwait(false);
        await group.WriteAsync<double>(Score, rows.Select(r => r.Score).ToArray(), cancellationToken: cancellationToken).ConfigureAwait(false);
        await group.WriteAsync(ModelVersion, rows.Select(r => r.ModelVersion).ToArray()).ConfigureAwait(false);
        await group.WriteAsync(WindowId, rows.Select(r => r.WindowId).ToArray()).ConfigureAwait(false);
        await group.WriteAsync<int>(Rank, rows.Select(r => r.Rank).ToArray(), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads every row and the key-value metadata of a shard file.</summary>
    public static async Task<(IReadOnlyList<CuratedRow> Rows, IReadOnlyDictionary<string, string> Metadata)> ReadAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);

        var rows = new List<CuratedRow>();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            int count = checked((int)group.RowCount);

            var candidateIds = await ReadStringsAsync(group, CandidateId, count, cancellationToken).ConfigureAwait(false);
            var imageIds = await ReadStringsAsync(group, ImageId, count, cancellationToken).ConfigureAwait(false);
            var imageUris = await ReadStringsAsync(group, ImageUri, count, cancellationToken).ConfigureAwait(false);
            var texts = await ReadStringsAsync(group, Text, count, cancellationToken).ConfigureAwait(false);
            var generators = await ReadStringsAsync(group, Generator, count, cancellationToken).ConfigureAwait(false);
            var labels = await ReadStringsAsync(group, Label, count, cancellationToken).ConfigureAwait(false);
            var defects = await ReadStringsAsync(group, Defect, count, cancellationToken).ConfigureAwait(false);
            var scores = new double[count];
            await group.ReadAsync<double>(Score, scores, cancellationToken: cancellationToken).ConfigureAwait(false);
            var modelVersions = await ReadStringsAsync(group, ModelVersion, count, cancellationToken).ConfigureAwait(false);
            var windowIds = await ReadStringsAsync(group, WindowId, count, cancellationToken).ConfigureAwait(false);
            var ranks = new int[count];
            await group.ReadAsync<int>(Rank, ranks, cancellationToken: cancellationToken).ConfigureAwait(false);

            for (int i = 0; i < count; i++)
            {
                rows.Add(new CuratedRow(
                    candidateIds[i]!, imageIds[i]!, imageUris[i]!, texts[i]!, generators[i]!, labels[i], defects[i],
                    scores[i], modelVersions[i]!, windowIds[i]!, ranks[i]));
            }
        }

        return (rows, new Dictionary<string, string>(reader.CustomMetadata));
    }

    /// <summary>Reads only the candidate ids of a shard file, for rebuilding the written-id index.</summary>
    public static async Task<IReadOnlyList<string>> ReadCandidateIdsAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);

        var ids = new List<string>();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var values = await ReadStringsAsync(group, CandidateId, checked((int)group.RowCount), cancellationToken).ConfigureAwait(false);
            ids.AddRange(values.Select(v => v!));
        }

        return ids;
    }

    private static async Task<string?[]> ReadStringsAsync(ParquetRowGroupReader group, DataField<string> field, int count, CancellationToken cancellationToken)
    {
        var values = new string?[count];
        await group.ReadAsync(field, values.AsMemory()!, cancellationToken: cancellationToken).ConfigureAwait(false);
        return values;
    }
}
