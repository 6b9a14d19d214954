using System.Text.Json;

namespace RsStreamCurate.Feedback.Storage;

/// <summary>
/// Reads every stored label without opening the store for writing, so a trainer in the same or another process can
/// read while the feedback service appends. A torn last line of the JSONL file (an append in progress) is skipped.
/// </summary>
public static class PreferenceLabelReader
{
    /// <summary>Reads the labels of a JSONL store directory (the <c>Feedback:DataDirectory</c> of the feedback service).</summary>
    public static async Task<IReadOnlyList<PreferenceRecord>> ReadJsonlAsync(string directory, CancellationToken cancellationToken)
    {
        string path = Path.Combine(Path.GetFullPath(directory), JsonlPreferenceStore.FileName);
        if (!File.Exists(path))
        {
            return [];
        }

        // The feedback service keeps the file open for appending, so it is opened with write sharing.
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        var lines = text.Split('\n');
        var records = new List<PreferenceRecord>(lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }

            bool last = i == lines.Length - 1 || lines.Skip(i + 1).All(string.IsNullOrWhiteSpace);
            try
            {
                records.Add(JsonSerializer.Deserialize(lines[i], StorageJsonContext.Default.PreferenceRecord)
                    ?? throw new JsonException("The line is JSON null."));
            }
            catch (JsonException) when (last)
            {
                // An append still in progress; the label is read on the next retrain.
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{path}:{i + 1} is not a valid label record ({ex.Message}).", ex);
            }
        }

        return records;
    }

    /// <summary>Reads the labels of the PostgreSQL store.</summary>
    public static async Task<IReadOnlyList<PreferenceRecord>> ReadPostgresAsync(string connectionString, string table, CancellationToken cancellationToken)
    {
        await using var store = new PostgresPreferenceStore(connectionString, table, Microsoft.Extensions.Logging.Abstractions.NullLogger<PostgresPreferenceStore>.Instance);
        return await store.OpenAsync(cancellationToken).ConfigureAwait(false);
    }
}
