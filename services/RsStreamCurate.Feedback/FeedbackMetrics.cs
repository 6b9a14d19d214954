using Prometheus;

namespace RsStreamCurate.Feedback;

/// <summary>
/// Prometheus metrics of the feedback service. The <c>labeller</c> label is bounded by the configured API keys;
/// no label carries an image, candidate or preference id.
/// </summary>
public static class FeedbackMetrics
{
    public static readonly Counter Labels = Metrics.CreateCounter(
        "rscurate_feedback_labels_total",
        "Preference labels newly stored, by labeller and quality dimension (none when the label has no dimension).",
        "labeller", "dimension");

    public static readonly Counter DuplicateLabels = Metrics.CreateCounter(
        "rscurate_feedback_duplicate_labels_total",
        "Preference labels received again and not stored a second time.");

    public static readonly Counter RejectedRequests = Metrics.CreateCounter(
        "rscurate_feedback_rejected_requests_total",
        "Preference requests rejected before anything was stored, by reason.",
        "reason");

    public static readonly Counter AuthenticationFailures = Metrics.CreateCounter(
        "rscurate_feedback_authentication_failures_total",
        "Requests with a missing or invalid API key.",
        "reason");

    public static readonly Gauge AgreementRatio = Metrics.CreateGauge(
        "rscurate_feedback_agreement_ratio",
        "Fraction of the pairs judged by two or more labellers where all of them chose the same caption.");

    public static readonly Gauge MultiplyJudgedPairs = Metrics.CreateGauge(
        "rscurate_feedback_multiply_judged_pairs",
        "Number of caption pairs judged by two or more labellers.");

    public static readonly Histogram LabelToRetrainSeconds = Metrics.CreateHistogram(
        "rscurate_feedback_label_to_retrain_seconds",
        "Time from recording a label to the retrain request that covers it.",
        new HistogramConfiguration { Buckets = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 43200, 86400] });

    public static readonly Counter RetrainRequests = Metrics.CreateCounter(
        "rscurate_retrain_requests_total",
        "Retrain requests sent by the retrain policy, by trigger (label_count or max_wait).",
        "trigger");

    public static readonly Gauge PendingLabels = Metrics.CreateGauge(
        "rscurate_retrain_pending_labels",
        "New labels that no retrain request covers yet.");

    public static readonly Gauge TrainingInProgress = Metrics.CreateGauge(
        "rscurate_retrain_training_in_progress",
        "1 while a requested training has not reported ModelPublished or ModelRejected, else 0.");

    public static readonly Gauge CatalogImages = Metrics.CreateGauge(
        "rscurate_feedback_catalog_images",
        "Images in the candidate catalog.");

    public static readonly Counter CatalogEvictions = Metrics.CreateCounter(
        "rscurate_feedback_catalog_evictions_total",
        "Images or candidates dropped from the catalog to keep it within its bounds, by kind.",
        "kind");
}
