using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;
using RsStreamCurate.Contracts;
using RsStreamCurate.Kafka;

namespace RsStreamCurate.Scoring;

/// <summary>
/// Consumes <c>rs.candidates</c> as a member of the scorers' consumer group, scores each batch with the current
/// reward model and publishes the scores, tagged with the model version, to <c>rs.scored</c>. A candidate is
/// marked durable only after its score (or its dead letter) was acknowledged by the brokers.
/// </summary>
public sealed partial class ScoringWorker : KafkaBatchConsumerService
{
    private static readonly Histogram Scores = Metrics.CreateHistogram(
        "rscurate_reward_score",
        "Reward scores of scored candidates, by model version. Only their order within one version means something.",
        new HistogramConfiguration
        {
            LabelNames = ["model_version"],
            Buckets = [-20, -10, -8, -6, -5, -4, -3, -2, -1, -0.5, 0, 0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20],
        });

    private readonly RewardScorerHolder _scorers;
    private readonly ScoringOptions _options;
    private readonly KafkaStageProducer _producer;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ScoringWorker> _logger;
    private long _consumed;
    private long _scored;

    public ScoringWorker(
        KafkaConnection connection,
        DeadLetterPublisher deadLetters,
        ConsumerLagMonitor lagMonitor,
        RewardScorerHolder scorers,
        IOptions<ScoringOptions> options,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory)
        : base(connection, deadLetters, loggerFactory.CreateLogger<ScoringWorker>())
    {
        _scorers = scorers;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger<ScoringWorker>();
        var gate = lagMonitor.CreateGate(DownstreamGroupId, Topics.Scored, loggerFactory.CreateLogger<BackpressureGate>());
        _producer = new KafkaStageProducer(connection, Stage, gate);
    }

    /// <summary>Kafka consumer group whose lag on <c>rs.scored</c> throttles this stage.</summary>
    public string DownstreamGroupId { get; init; } = "rscurate-curation";

    /// <summary>Messages consumed from <c>rs.candidates</c> since start.</summary>
    public long Consumed => Interlocked.Read(ref _consumed);

    /// <summary>Scores published to <c>rs.scored</c> since start.</summary>
    public long Scored => Interlocked.Read(ref _scored);

    protected override string Stage => "scoring";

    protected override string GroupId => _options.GroupId;

    protected override IReadOnlyCollection<string> SubscribedTopics { get; } = [Topics.Candidates];

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Load the model before consuming, so a missing or corrupt checkpoint stops the start with its path.
        LogModelLoaded(_scorers.ModelVersion, _options.Checkpoint, TorchRuntime.Describe());
        return base.StartAsync(cancellationToken);
    }

    protected override async Task HandleBatchAsync(IReadOnlyList<ConsumeResult<string?, byte[]>> batch, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _consumed, batch.Count);
        PipelineMetrics.Candidates.WithLabels(Stage, "in").Inc(batch.Count);

        var accepted = new List<(ConsumeResult<string?, byte[]> Message, CandidateCaption Candidate)>(batch.Count);
        foreach (var message in batch)
        {
            try
            {
                var candidate = MessageCodec.DecodeCandidate(message.Message.Value);
                Validate(candidate);
                accepted.Add((message, candidate));
            }
            catch (MessageDecodeException ex)
            {
                await DeadLetterAsync(message, ex.Reason, ex.Message, cancellationToken).ConfigureAwait(false);
            }
        }

        for (int start = 0; start < accepted.Count; start += _options.BatchSize)
        {
            var chunk = accepted.GetRange(start, Math.Min(_options.BatchSize, accepted.Count - start));
            await ScoreAndPublishAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _producer.Dispose();
    }

    private async Task ScoreAndPublishAsync(List<(ConsumeResult<string?, byte[]> Message, CandidateCaption Candidate)> chunk, CancellationToken cancellationToken)
    {
        // One lease per chunk: a model swap happens between chunks, never inside one, and each score names its version.
        var requests = chunk.Select(c => new ScoringRequest(c.Candidate.ImageUri, c.Candidate.Text)).ToList();
        IReadOnlyList<ScoringResult> results;
        string modelVersion;
        using (var lease = _scorers.Acquire())
        {
            results = lease.Scorer.ScoreBatch(requests);
            modelVersion = lease.Scorer.ModelVersion;
        }

        var outgoing = new List<(string? Key, byte[] Value)>(chunk.Count);
        var published = new List<ConsumeResult<string?, byte[]>>(chunk.Count);
        var now = _timeProvider.GetUtcNow();
        for (int i = 0; i < chunk.Count; i++)
        {
            var (message, candidate) = chunk[i];
            var result = results[i];
            if (!result.Succeeded)
            {
                LogCandidateRejected(candidate.CandidateId, candidate.ImageUri, result.ErrorReason!, result.ErrorMessage ?? result.ErrorReason!);
                await DeadLetterAsync(message, result.ErrorReason!, $"Candidate {candidate.CandidateId}: {result.ErrorMessage}", cancellationToken).ConfigureAwait(false);
                continue;
            }

            var scored = new ScoredCandidate
            {
                Candidate = candidate,
                Score = result.Score!.Value,
                ModelVersion = modelVersion,
                ScoredAt = now,
            };
            outgoing.Add((candidate.ImageId, MessageCodec.Encode(scored)));
            published.Add(message);
            Scores.WithLabels(modelVersion).Observe(scored.Score);
        }

        await _producer.ProduceBatchAsync(Topics.Scored, outgoing, cancellationToken).ConfigureAwait(false);
        MarkDurable(published);
        Interlocked.Add(ref _scored, published.Count);
        PipelineMetrics.Candidates.WithLabels(Stage, "out").Inc(published.Count);
    }

    private static void Validate(CandidateCaption candidate)
    {
        if (string.IsNullOrWhiteSpace(candidate.CandidateId))
        {
            throw new MessageDecodeException(DeadLetterReasons.MissingField, "The candidate has no candidate_id; compute it from image id, text and generator.");
        }

        if (string.IsNullOrWhiteSpace(candidate.ImageUri))
        {
            throw new MessageDecodeException(DeadLetterReasons.MissingField, $"Candidate {candidate.CandidateId} has no image_uri; set it to the image path relative to the image root.");
        }

        if (string.IsNullOrWhiteSpace(candidate.Text))
        {
            throw new MessageDecodeException(DeadLetterReasons.EmptyCaption, $"Candidate {candidate.CandidateId} has an empty caption; send a non-empty text.");
        }
    }

    [LoggerMessage(2000, LogLevel.Information, "Scoring with model {ModelVersion} from {Checkpoint} ({Runtime})")]
    private partial void LogModelLoaded(string modelVersion, string checkpoint, string runtime);

    [LoggerMessage(2001, LogLevel.Warning, "Candidate {CandidateId} with image {ImageUri} cannot be scored ({Reason}): {Detail}")]
    private partial void LogCandidateRejected(string candidateId, string imageUri, string reason, string detail);
}
