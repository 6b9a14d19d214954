using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace RsStreamCurate.Feedback.Storage;

/// <summary>
/// Embedded label store: an append-only <c>preferences.jsonl</c> in a data directory, one label per line. Each
/// <see cref="AddAsync"/> appends its new lines in one write and fsyncs the file before it returns. At open, the
/// file is read whole, and an incomplete last line (a crash during the write) is truncated away.
/// </summary>
/// <remarks>Only one process may use a data directory at a time; this is not checked.</remarks>
public sealed partial class JsonlPreferenceStore : IPreferenceStore
{
    public const string FileName = "preferences.jsonl";

    private readonly string _directory;
    private readonly ILogger<JsonlPreferenceStore> _logger;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly HashSet<string> _storedIds = new(StringComparer.Ordinal);
    private FileStream? _file;

    public JsonlPreferenceStore(string directory, ILogger<JsonlPreferenceStore> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _directory = Path.GetFullPath(directory);
        _logger = logger;
    }

    public string Name => "jsonl";

    public string FilePath => Path.Combine(_directory, FileName);

    public async Task<IReadOnlyList<PreferenceRecord>> OpenAsync(CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_file is not null)
            {
                throw new InvalidOperationException($"The label store {FilePath} is already open.");
            }

            Directory.CreateDirectory(_directory);
            bool created = !File.Exists(FilePath);
            var records = created ? [] : await ReadAndRepairAsync(cancellationToken).ConfigureAwait(false);

            _file = new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.Read);
            if (created)
            {
                // The new directory entry must survive a power loss as well as the data written into the file.
                _file.Flush(flushToDisk: true);
                FlushDirectory(_directory);
            }

            foreach (var record in records)
            {
                _storedIds.Add(record.PreferenceId);
            }

            Log.StoreOpened(_logger, $"{Name} {FilePath}", records.Count);
            return records;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async Task<IReadOnlyList<PreferenceRecord>> AddAsync(IReadOnlyList<PreferenceRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var file = _file ?? throw new InvalidOperationException("Call OpenAsync before AddAsync.");
            var added = new List<PreferenceRecord>();
            var batchIds = new HashSet<string>(StringComparer.Ordinal);
            using var buffer = new MemoryStream();
            foreach (var record in records)
            {
                if (_storedIds.Contains(record.PreferenceId) || !batchIds.Add(record.PreferenceId))
                {
                    continue;
                }

                JsonSerializer.Serialize(buffer, record, StorageJsonContext.Default.PreferenceRecord);
                buffer.WriteByte((byte)'\n');
                added.Add(record);
            }

            if (added.Count == 0)
            {
                return added;
            }

            long lengthBefore = file.Length;
            try
            {
                await file.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
                // Cut a partial write off, so the next append does not continue a broken line. If even that
                // fails, the loader keeps the first copy of a label that a retry writes again.
                TryTruncate(file, lengthBefore);
                throw;
            }

            _storedIds.UnionWith(batchIds);
            return added;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_file is not null)
            {
                await _file.DisposeAsync().ConfigureAwait(false);
                _file = null;
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private void TryTruncate(FileStream file, long length)
    {
        try
        {
            file.SetLength(length);
            file.Flush(flushToDisk: true);
        }
        catch (IOException ex)
        {
            Log.TruncateFailed(_logger, ex, FilePath, length);
        }
    }

    private async Task<List<PreferenceRecord>> ReadAndRepairAsync(CancellationToken cancellationToken)
    {
        byte[] content = await File.ReadAllBytesAsync(FilePath, cancellationToken).ConfigureAwait(false);
        int completeLength = content.AsSpan().LastIndexOf((byte)'\n') + 1;
        if (completeLength < content.Length)
        {
            long tornLength = content.Length - completeLength;
            await using (var repair = new FileStream(FilePath, FileMode.Open, FileAccess.Write, FileShare.None))
            {
                repair.SetLength(completeLength);
                repair.Flush(flushToDisk: true);
            }

            Log.TornLineTruncated(_logger, FilePath, tornLength);
        }

        var records = new List<PreferenceRecord>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int lineNumber = 0;
        int start = 0;
        while (start < completeLength)
        {
            int end = content.AsSpan(start, completeLength - start).IndexOf((byte)'\n') + start;
            lineNumber++;
            var line = content.AsSpan(start, end - start);
            start = end + 1;
            if (line.IsEmpty)
            {
                continue;
            }

            PreferenceRecord? record;
            try
            {
                record = JsonSerializer.Deserialize(line, StorageJsonContext.Default.PreferenceRecord);
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException(
                    $"Line {lineNumber} of {FilePath} is not a valid label ({ex.Message}). Only an incomplete last line is repaired automatically; fix or remove this line by hand.",
                    ex);
            }

            if (record is not null && seen.Add(record.PreferenceId))
            {
                records.Add(record);
            }
        }

        return records;
    }

    // O_RDONLY. A directory opens read-only without O_DIRECTORY, whose value differs between architectures.
    private const int ReadOnly = 0;

    /// <summary>Flushes a directory so that a file created in it survives a power loss (POSIX fsync on the directory).</summary>
    private static void FlushDirectory(string path)
    {
        // NOTE: only Linux is handled. Elsewhere the new file is durable only once the OS writes the directory back.
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int fd = Open(path, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"Failed to open directory {path} to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync failed on directory {path} (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
