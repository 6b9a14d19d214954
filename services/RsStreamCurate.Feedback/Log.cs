using Microsoft.Extensions.Logging;

namespace RsStreamCurate.Feedback;

/// <summary>Source-generated log messages of the feedback service, with event ids 5000-5099.</summary>
internal static partial class Log
{
    [LoggerMessage(5000, LogLevel.Information, "Label store {Store} opened with {LabelCount} labels")]
    public static partial void StoreOpened(ILogger logger, string store, int labelCount);

    [LoggerMessage(5001, LogLevel.Warning, "Truncated an incomplete last line of {Length} bytes in {Path}, left by an earlier crash")]
    public static partial void TornLineTruncated(ILogger logger, string path, long length);

    [LoggerMessage(5005, LogLevel.Error, "Failed to cut {Path} back to {Length} bytes after a failed append; a corrupt line may be left for the next start to report")]
    public static partial void TruncateFailed(ILogger logger, Exception exception, string path, long length);

    [LoggerMessage(5002, LogLevel.Information, "Stored {StoredCount} labels of labeller {LabellerId}, {DuplicateCount} were already stored")]
    public static partial void LabelsStored(ILogger logger, string labellerId, int storedCount, int duplicateCount);

    [LoggerMessage(5003, LogLevel.Error, "Publishing PreferenceRecorded for {Count} stored labels of labeller {LabellerId} failed; a retried request publishes them again")]
    public static partial void PublishFailed(ILogger logger, Exception exception, string labellerId, int count);

    [LoggerMessage(5004, LogLevel.Debug, "Rejected a preference request of labeller {LabellerId}: {ErrorCount} invalid fields")]
    public static partial void RequestRejected(ILogger logger, string labellerId, int errorCount);

    [LoggerMessage(5010, LogLevel.Information, "Retrain requested: request {RequestId}, base model {BaseModelVersion}, {LabelCount} new labels, trigger {Trigger}, coalesced {Coalesced}")]
    public static partial void RetrainRequested(ILogger logger, string requestId, string baseModelVersion, int labelCount, string trigger, bool coalesced);

    [LoggerMessage(5011, LogLevel.Information, "Retrain trigger {Trigger} fired with {LabelCount} new labels while request {RequestId} is training; one request follows when it finishes")]
    public static partial void RetrainDeferred(ILogger logger, string trigger, int labelCount, string requestId);

    [LoggerMessage(5012, LogLevel.Information, "Training of request {RequestId} finished with {Outcome}; current model {ModelVersion}")]
    public static partial void TrainingFinished(ILogger logger, string? requestId, string outcome, string modelVersion);

    [LoggerMessage(5013, LogLevel.Warning, "Training of request {RequestId} reported nothing within {TimeoutSeconds} s, so it is taken as lost")]
    public static partial void TrainingTimedOut(ILogger logger, string requestId, double timeoutSeconds);

    [LoggerMessage(5014, LogLevel.Debug, "Ignored {Outcome} for request {RequestId}, because request {InFlightRequestId} is the one training")]
    public static partial void TrainingResultIgnored(ILogger logger, string outcome, string requestId, string? inFlightRequestId);

    [LoggerMessage(5015, LogLevel.Error, "Retrain policy check failed")]
    public static partial void PolicyCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(5020, LogLevel.Information, "Feedback control plane uses the {Transport} transport")]
    public static partial void TransportSelected(ILogger logger, string transport);
}
