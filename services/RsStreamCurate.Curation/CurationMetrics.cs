using Prometheus;

namespace RsStreamCurate.Curation;

/// <summary>Prometheus metrics of the curation stage. Labels carry model versions, reasons and sink names, never candidate ids.</summary>
public static class CurationMetrics
{
    public static readonly Gauge WindowThreshold = Metrics.CreateGauge(
        "rscurate_window_threshold_score",
        "Lowest kept reward score of the last closed window of each model version.",
        "model_version");

    public static readonly Gauge WindowKeptRatio = Metrics.CreateGauge(
        "rscurate_window_kept_ratio",
        "Kept candidates divided by window size for the last closed window of each model version.",
        "model_version");

    public static readonly Counter WindowsClosed = Metrics.CreateCounter(
        "rscurate_windows_closed_total",
        "Curation windows closed, by close reason.",
        "reason");

    /// <summary>
    /// Candidates per stage. Curation counts every message given to the engine as <c>in</c> and every kept
    /// candidate as <c>out</c>. The <c>stage</c> label lets other stages report into the same metric.
    /// </summary>
    public static readonly Counter Candidates = RsStreamCurate.Kafka.PipelineMetrics.Candidates;

    public static readonly Counter DuplicateCandidates = Metrics.CreateCounter(
        "rscurate_curation_duplicate_candidates_total",
        "Candidate messages ignored because their candidate id was already in the open window.");

    public static readonly Counter RowsWritten = Metrics.CreateCounter(
        "rscurate_curated_rows_written_total",
        "Curated rows that a sink newly wrote; repeats skipped on replay are not counted.",
        "sink");

    public static readonly Counter RowsSkipped = Metrics.CreateCounter(
        "rscurate_curated_rows_skipped_total",
        "Kept rows that a sink skipped because the candidate id was already written.",
        "sink");

    public static readonly Histogram SinkWriteDuration = Metrics.CreateHistogram(
        "rscurate_curation_sink_write_duration_seconds",
        "Time for a sink to write one closed window durably.",
        new HistogramConfiguration
        {
            LabelNames = ["sink"],
            Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        });

    internal const string Stage = "curation";
}
