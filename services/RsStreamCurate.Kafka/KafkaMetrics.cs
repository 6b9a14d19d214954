using Prometheus;

namespace RsStreamCurate.Kafka;

/// <summary>Prometheus metrics of the Kafka stages. Labels are stage, topic, group and reason names, never message ids.</summary>
public static class KafkaMetrics
{
    public static readonly Counter MessagesConsumed = Metrics.CreateCounter(
        "rscurate_messages_consumed_total",
        "Messages consumed from Kafka and handed to a stage's handler.",
        "stage", "topic");

    public static readonly Counter MessagesProduced = Metrics.CreateCounter(
        "rscurate_messages_produced_total",
        "Messages a stage produced to Kafka and the brokers acknowledged.",
        "stage", "topic");

    public static readonly Counter DeadLetters = Metrics.CreateCounter(
        "rscurate_dead_letters_total",
        "Messages a stage could not process and published to the dead-letter topic.",
        "stage", "reason");

    public static readonly Counter DeadLetterPublishFailures = Metrics.CreateCounter(
        "rscurate_dead_letter_publish_failures_total",
        "Dead letters that could not be published; the source message stays uncommitted.",
        "stage");

    public static readonly Counter ConsumeErrors = Metrics.CreateCounter(
        "rscurate_consume_errors_total",
        "Errors the Kafka consumer reported while consuming, fatal or not.",
        "stage");

    public static readonly Counter HandlerRetries = Metrics.CreateCounter(
        "rscurate_handler_retries_total",
        "Retries of a batch handler after a transient failure.",
        "stage");

    public static readonly Gauge ConsumerLag = Metrics.CreateGauge(
        "rscurate_consumer_lag_messages",
        "Sum over partitions of the high watermark minus the group's committed offset.",
        "group", "topic");

    public static readonly Counter BackpressureWait = Metrics.CreateCounter(
        "rscurate_backpressure_wait_seconds_total",
        "Time producers spent waiting because the downstream consumer lag was above the limit.",
        "topic");
}
