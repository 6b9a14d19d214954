using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RsStreamCurate.Curation.Sinks;

/// <summary>
/// Writes each window's newly kept candidates to <c>shards/window-&lt;id&gt;.parquet</c> and appends one line
/// per window to <c>manifest.jsonl</c>.
/// </summary>
/// <remarks>
/// <para>A shard is written to a temporary file, flushed to disk, renamed into place and the directory
/// flushed. Only then is the manifest line appended and flushed. A crash therefore leaves a temporary file
/// (deleted at the next start), or a shard without its manifest line (the line is added at the next start from
/// the copy stored in the shard's Parquet metadata), or both.</para>
/// <para>Replays: a window id already in the manifest writes nothing and appends no line. A new window id
/// whose kept candidates were all written by earlier windows writes no shard and appends a line with
/// <c>rows_written</c> 0 and <c>shard_file</c> null. Otherwise the shard holds only the kept candidates not
/// written before, and <c>rows_skipped</c> counts the others.</para>
/// <para>One sink instance owns the directory, enforced by an exclusive lock on <c>.curation.lock</c>.</para>
/// </remarks>
public sealed class DatasetDirectorySink : ICuratedWindowSink
{
    public const string ManifestFileName = "manifest.jsonl";
    public const string ShardsDirectoryName = "shards";
    public const string LockFileName = ".curation.lock";
    private const string TemporarySuffix = ".tmp";

    private readonly ILogger<DatasetDirectorySink> _logger;
    private readonly TimeProvider _timeProvider;
    private readonly SemaphoreSlim _gate = new(1, 1);

    // NOTE: the index keeps every written candidate id in memory, an estimated 100 bytes per id. The start-up
    // rebuild reads the candidate_id column of every shard, so a very large dataset needs a persisted index.
    private readonly HashSet<string> _writtenCandidates = new(StringComparer.Ordinal);
    private readonly HashSet<string> _writtenWindows = new(StringComparer.Ordinal);

    private FileStream? _lock;
    private bool _disposed;

    public DatasetDirectorySink(string directory, TimeProvider timeProvider, ILogger<DatasetDirectorySink> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
        _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    public DatasetDirectorySink(IOptions<CurationOptions> options, TimeProvider timeProvider, ILogger<DatasetDirectorySink> logger)
        : this(options?.Value.OutputDirectory!, timeProvider, logger)
    {
    }

    public string Name => "dataset";

    /// <summary>Absolute path of the dataset directory.</summary>
    public string Directory { get; }

    public string ShardsDirectory => Path.Combine(Directory, ShardsDirectoryName);

    public string ManifestPath => Path.Combine(Directory, ManifestFileName);

    /// <summary>Number of distinct candidate ids in the dataset.</summary>
    public int WrittenCandidateCount => _writtenCandidates.Count;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<int> WriteAsync(ClosedWindow window, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(window);

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);

            if (_writtenWindows.Contains(window.WindowId))
            {
                Log.WindowAlreadyWritten(_logger, window.WindowId);
                CurationMetrics.RowsSkipped.WithLabels(Name).Inc(window.Kept.Count);
                return 0;
            }

            var started = Stopwatch.GetTimestamp();
            var rows = CuratedRow.FromWindow(window);
            var newRows = rows.Where(r => !_writtenCandidates.Contains(r.CandidateId)).ToArray();

            var entry = new ManifestEntry
            {
                WindowId = window.WindowId,
                ModelVersion = window.ModelVersion,
                Size = window.Size,
                Kept = rows.Count,
                RowsWritten = newRows.Length,
                RowsSkipped = rows.Count - newRows.Length,
                Threshold = window.Threshold,
                Fraction = window.Fraction,
                CloseReason = window.CloseReason.ToLabel(),
                ShardFile = newRows.Length == 0 ? null : $"{ShardsDirectoryName}/{ShardFileName(window.WindowId)}",
                OpenedAt = window.OpenedAt,
                ClosedAt = window.ClosedAt,
                WrittenAt = _timeProvider.GetUtcNow(),
            };

            if (newRows.Length > 0)
            {
                await WriteShardAsync(entry, newRows, cancellationToken).ConfigureAwait(false);
            }

            await AppendManifestLineAsync(entry, cancellationToken).ConfigureAwait(false);

            foreach (var row in newRows)
            {
                _writtenCandidates.Add(row.CandidateId);
            }

            _writtenWindows.Add(window.WindowId);

            CurationMetrics.RowsWritten.WithLabels(Name).Inc(entry.RowsWritten);
            CurationMetrics.RowsSkipped.WithLabels(Name).Inc(entry.RowsSkipped);
            CurationMetrics.SinkWriteDuration.WithLabels(Name).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            Log.ShardWritten(_logger, entry.ShardFile ?? "(none)", window.WindowId, entry.RowsWritten, entry.RowsSkipped);
            return entry.RowsWritten;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reads every manifest line. A last line cut short by a crash is ignored here and removed at the next start.</summary>
    public static IReadOnlyList<ManifestEntry> ReadManifest(string directory)
    {
        string path = Path.Combine(directory, ManifestFileName);
        if (!File.Exists(path))
        {
            return [];
        }

        var text = File.ReadAllText(path, Encoding.UTF8);
        int end = text.LastIndexOf('\n');
        var complete = end < 0 ? string.Empty : text[..(end + 1)];
        return ParseManifest(complete, path);
    }

    public static string ShardFileName(string windowId) => $"window-{windowId}.parquet";

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (_lock is not null)
            {
                await _lock.DisposeAsync().ConfigureAwait(false);
                _lock = null;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_lock is not null)
        {
            return;
        }

        System.IO.Directory.CreateDirectory(ShardsDirectory);
        var lockFile = AcquireLock();
        try
        {
            RemoveTemporaryShards();
            TruncateIncompleteManifestTail();

            var manifest = ParseManifest(File.Exists(ManifestPath) ? await File.ReadAllTextAsync(ManifestPath, Encoding.UTF8, cancellationToken).ConfigureAwait(false) : string.Empty, ManifestPath);
            var listedShards = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in manifest)
            {
                _writtenWindows.Add(entry.WindowId);
                if (entry.ShardFile is not null)
                {
                    listedShards.Add(entry.ShardFile);
                }
            }

            var shardPaths = System.IO.Directory.GetFiles(ShardsDirectory, "*.parquet");
            Array.Sort(shardPaths, StringComparer.Ordinal);
            foreach (var shardPath in shardPaths)
            {
                string relative = $"{ShardsDirectoryName}/{Path.GetFileName(shardPath)}";
                if (!listedShards.Contains(relative))
                {
                    await RecoverManifestLineAsync(shardPath, relative, cancellationToken).ConfigureAwait(false);
                }

                foreach (string id in await ParquetShard.ReadCandidateIdsAsync(shardPath, cancellationToken).ConfigureAwait(false))
                {
                    _writtenCandidates.Add(id);
                }
            }

            _lock = lockFile;
            Log.DatasetOpened(_logger, Directory, shardPaths.Length, _writtenCandidates.Count, _writtenWindows.Count);
        }
        catch
        {
            _writtenCandidates.Clear();
            _writtenWindows.Clear();
            await lockFile.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private FileStream AcquireLock()
    {
        string path = Path.Combine(Directory, LockFileName);
        try
        {
            // On Linux, .NET (checked with 10.0) backs FileShare.None with flock(LOCK_EX), so another process or
            // another handle in this process fails to open the file until this one is disposed.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException(
                $"The dataset directory {Directory} is in use by another curation sink ({path} is locked). Give each curator its own output directory, or stop the other one first.",
                ex);
        }
    }

    private void RemoveTemporaryShards()
    {
        foreach (var path in System.IO.Directory.GetFiles(ShardsDirectory, "*" + TemporarySuffix))
        {
            File.Delete(path);
            Log.TemporaryShardRemoved(_logger, path);
        }
    }

    private void TruncateIncompleteManifestTail()
    {
        if (!File.Exists(ManifestPath))
        {
            return;
        }

        // FileShare.Read lets dataset readers keep the manifest open. The directory lock already excludes other writers.
        using var stream = new FileStream(ManifestPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        long length = stream.Length;
        long keep = length;
        while (keep > 0)
        {
            stream.Position = keep - 1;
            if (stream.ReadByte() == '\n')
            {
                break;
            }

            keep--;
        }

        if (keep < length)
        {
            stream.SetLength(keep);
            stream.Flush(true);
            Log.ManifestTailTruncated(_logger, length - keep);
        }
    }

    private async Task RecoverManifestLineAsync(string shardPath, string relative, CancellationToken cancellationToken)
    {
        var (_, metadata) = await ParquetShard.ReadAsync(shardPath, cancellationToken).ConfigureAwait(false);
        if (!metadata.TryGetValue(ParquetShard.ManifestMetadataKey, out var json))
        {
            throw new InvalidDataException(
                $"Shard {shardPath} is not listed in {ManifestPath} and has no '{ParquetShard.ManifestMetadataKey}' metadata, so this sink did not write it. Move it out of {ShardsDirectory}.");
        }

        var entry = JsonSerializer.Deserialize(json, ManifestJsonContext.Default.ManifestEntry)
            ?? throw new InvalidDataException($"Shard {shardPath} has a null manifest entry in its metadata.");
        if (!string.Equals(entry.ShardFile, relative, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Shard {shardPath} was renamed: its metadata names {entry.ShardFile}. Rename it back, because the manifest and the window id refer to that name.");
        }

        await AppendManifestLineAsync(entry, cancellationToken).ConfigureAwait(false);
        _writtenWindows.Add(entry.WindowId);
        Log.ManifestLineRecovered(_logger, relative);
    }

    private async Task WriteShardAsync(ManifestEntry entry, IReadOnlyList<CuratedRow> rows, CancellationToken cancellationToken)
    {
        string finalPath = Path.Combine(Directory, entry.ShardFile!);
        string temporaryPath = finalPath + TemporarySuffix;
        var metadata = new Dictionary<string, string>
        {
            [ParquetShard.ManifestMetadataKey] = JsonSerializer.Serialize(entry, ManifestJsonContext.Default.ManifestEntry),
        };

        try
        {
            await using (var stream = new FileStream(temporaryPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
            {
                await ParquetShard.WriteAsync(stream, rows, metadata, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporaryPath, finalPath, overwrite: true);
            FileDurability.FlushDirectory(ShardsDirectory);
        }
        catch
        {
            File.Delete(temporaryPath);
            throw;
        }
    }

    private async Task AppendManifestLineAsync(ManifestEntry entry, CancellationToken cancellationToken)
    {
        bool created = !File.Exists(ManifestPath);
        var line = JsonSerializer.SerializeToUtf8Bytes(entry, ManifestJsonContext.Default.ManifestEntry);

        // Not FileMode.Append, because an append-mode stream cannot be truncated back after a failed write.
        await using (var stream = new FileStream(ManifestPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read))
        {
            long lengthBefore = stream.Seek(0, SeekOrigin.End);
            try
            {
                await stream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                stream.WriteByte((byte)'\n');
                stream.Flush(flushToDisk: true);
            }
            catch
            {
                // Cut a partly written line, so a retry does not leave an invalid line in the middle of the file.
                stream.SetLength(lengthBefore);
                throw;
            }
        }

        if (created)
        {
            FileDurability.FlushDirectory(Directory);
        }
    }

    private static List<ManifestEntry> ParseManifest(string text, string path)
    {
        var entries = new List<ManifestEntry>();
        int lineNumber = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                entries.Add(JsonSerializer.Deserialize(line, ManifestJsonContext.Default.ManifestEntry)
                    ?? throw new InvalidDataException($"Line {lineNumber} of {path} is JSON null, not a manifest entry. Remove the line."));
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"Line {lineNumber} of {path} is not a valid manifest entry: {ex.Message}. Fix or remove the line.", ex);
            }
        }

        return entries;
    }
}
