using Prometheus;

namespace RsStreamCurate.Kafka;

/// <summary>Metrics that every pipeline stage shares, so that one process hosting several stages registers them once.</summary>
public static class PipelineMetrics
{
    /// <summary>
    /// Candidates per stage and direction: <c>in</c> counts candidates a stage received, <c>out</c> the candidates it
    /// passed on (produced, scored or kept).
    /// </summary>
    public static readonly Counter Candidates = Metrics.CreateCounter(
        "rscurate_candidates_total",
        "Candidates that entered or left a pipeline stage.",
        new CounterConfiguration { LabelNames = ["stage", "direction"] });
}
