using Microsoft.Extensions.Logging;

namespace RsStreamCurate.Curation;

/// <summary>Source-generated log messages of the curation stage, with event ids 3000-3099.</summary>
internal static partial class Log
{
    [LoggerMessage(3000, LogLevel.Information, "Closed window {WindowId} of model {ModelVersion}: {Size} candidates, kept {Kept}, threshold {Threshold}, reason {CloseReason}")]
    public static partial void WindowClosed(ILogger logger, string windowId, string modelVersion, int size, int kept, double threshold, string closeReason);

    [LoggerMessage(3001, LogLevel.Debug, "Ignored repeat of candidate {CandidateId} in the open window of model {ModelVersion}")]
    public static partial void DuplicateIgnored(ILogger logger, string candidateId, string modelVersion);

    [LoggerMessage(3010, LogLevel.Information, "Dataset directory {Directory} opened: {ShardCount} shards, {CandidateCount} written candidates, {WindowCount} windows in the manifest")]
    public static partial void DatasetOpened(ILogger logger, string directory, int shardCount, int candidateCount, int windowCount);

    [LoggerMessage(3011, LogLevel.Information, "Wrote shard {ShardFile} of window {WindowId}: {RowsWritten} rows, {RowsSkipped} already written")]
    public static partial void ShardWritten(ILogger logger, string shardFile, string windowId, int rowsWritten, int rowsSkipped);

    [LoggerMessage(3012, LogLevel.Information, "Window {WindowId} is already in the manifest; the replay wrote nothing")]
    public static partial void WindowAlreadyWritten(ILogger logger, string windowId);

    [LoggerMessage(3013, LogLevel.Warning, "Removed the unfinished temporary shard {Path} left by an earlier crash")]
    public static partial void TemporaryShardRemoved(ILogger logger, string path);

    [LoggerMessage(3014, LogLevel.Warning, "Shard {ShardFile} had no manifest line, because an earlier run stopped between the rename and the append; added it")]
    public static partial void ManifestLineRecovered(ILogger logger, string shardFile);

    [LoggerMessage(3015, LogLevel.Warning, "Truncated an incomplete last manifest line of {Length} bytes left by an earlier crash")]
    public static partial void ManifestTailTruncated(ILogger logger, long length);

    [LoggerMessage(3020, LogLevel.Information, "PostgreSQL tables {Table} and {WindowsTable} are ready")]
    public static partial void PostgresReady(ILogger logger, string table, string windowsTable);

    [LoggerMessage(3021, LogLevel.Information, "Wrote window {WindowId} to PostgreSQL: {RowsWritten} rows inserted, {RowsSkipped} already present")]
    public static partial void PostgresWindowWritten(ILogger logger, string windowId, int rowsWritten, int rowsSkipped);
}
