using System.Text.Json;
using System.Text.Json.Serialization;

namespace RsStreamCurate.Scoring.Registry;

/// <summary>
/// Registry on disk: <c>registry.jsonl</c> with one record per version, appended and flushed to disk, and a
/// <c>CURRENT</c> file with the current version, replaced atomically by rename. Checkpoints of trained versions are
/// kept under <c>versions/&lt;version&gt;</c> (see <see cref="VersionDirectory"/>).
/// </summary>
public sealed class FileModelRegistry(string rootDirectory) : IModelRegistry
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public string RootDirectory { get; } = Path.GetFullPath(rootDirectory);

    private string RegistryFile => Path.Combine(RootDirectory, "registry.jsonl");

    private string CurrentFile => Path.Combine(RootDirectory, "CURRENT");

    /// <summary>Returns the folder where the checkpoint of <paramref name="version"/> belongs.</summary>
    public string VersionDirectory(string version) => Path.Combine(RootDirectory, "versions", version);

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.Combine(RootDirectory, "versions"));
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<ModelRecord>> ListAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(RegistryFile))
        {
            return [];
        }

        var lines = (await File.ReadAllLinesAsync(RegistryFile, cancellationToken).ConfigureAwait(false))
            .Select((text, index) => (Text: text, Number: index + 1))
            .Where(line => !string.IsNullOrWhiteSpace(line.Text))
            .ToList();
        var records = new List<ModelRecord>(lines.Count);
        foreach (var line in lines)
        {
            try
            {
                records.Add(JsonSerializer.Deserialize<ModelRecord>(line.Text, JsonOptions)
                    ?? throw new JsonException("The line is JSON null."));
            }
            catch (JsonException) when (line.Number == lines[^1].Number)
            {
                // A crash during an append can leave a torn last line. Its version was never made current,
                // because CURRENT is only written after the append.
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{RegistryFile}:{line.Number} is not a valid registry record ({ex.Message}). Restore the file from a backup.", ex);
            }
        }

        return records;
    }

    public async Task<ModelRecord?> GetCurrentAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(CurrentFile))
        {
            return null;
        }

        string version = (await File.ReadAllTextAsync(CurrentFile, cancellationToken).ConfigureAwait(false)).Trim();
        var records = await ListAsync(cancellationToken).ConfigureAwait(false);
        return records.LastOrDefault(r => r.Version == version)
            ?? throw new InvalidDataException($"{CurrentFile} names version '{version}', which {RegistryFile} does not contain. Restore the registry file or rewrite CURRENT.");
    }

    public async Task RegisterAsync(ModelRecord record, bool makeCurrent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await InitializeAsync(cancellationToken).ConfigureAwait(false);
            var existing = await ListAsync(cancellationToken).ConfigureAwait(false);
            if (!existing.Any(r => r.Version == record.Version))
            {
                await using var stream = new FileStream(RegistryFile, FileMode.Append, FileAccess.Write, FileShare.Read);
                var line = JsonSerializer.SerializeToUtf8Bytes(record, JsonOptions);
                await stream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                await stream.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            if (makeCurrent)
            {
                string temporary = CurrentFile + ".tmp";
                await File.WriteAllTextAsync(temporary, record.Version + "\n", cancellationToken).ConfigureAwait(false);
                File.Move(temporary, CurrentFile, overwrite: true);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
