using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RsStreamCurate.Contracts;
using RsStreamCurate.Curation.Sinks;
using RsStreamCurate.Kafka;

namespace RsStreamCurate.Curation;

/// <summary>
/// Consumes <c>rs.scored</c>, feeds the <see cref="CurationEngine"/>, and for each closed window writes the kept
/// candidates to the sink, publishes the window result to <c>rs.curated</c>, and only then marks the window's
/// messages durable. A crash before that replays the window, and the idempotent sinks make the replay harmless.
/// </summary>
public sealed partial class CurationWorker : KafkaBatchConsumerService
{
    private readonly CurationEngine _engine;
    private readonly ICuratedWindowSink _sink;
    private readonly KafkaStageProducer _producer;
    private readonly CurationOptions _options;
    private readonly ILogger<CurationWorker> _logger;

    // Messages in the open window, in consumption order. Only the consume-loop thread touches this list.
    private readonly List<ConsumeResult<string?, byte[]>> _inOpenWindow = [];
    private long _consumed;

    public CurationWorker(
        KafkaConnection connection,
        DeadLetterPublisher deadLetters,
        CurationEngine engine,
        ICuratedWindowSink sink,
        IOptions<CurationOptions> options,
        ILogger<CurationWorker> logger)
        : base(connection, deadLetters, logger)
    {
        _engine = engine;
        _sink = sink;
        _options = options.Value;
        _logger = logger;
        _producer = new KafkaStageProducer(connection, Stage);
    }

    /// <summary>Messages consumed from <c>rs.scored</c> since start, including repeats and dead letters.</summary>
    public long Consumed => Interlocked.Read(ref _consumed);

    /// <summary>Raised after a window was written and published.</summary>
    public event Action<CuratedWindow>? WindowCompleted;

    protected override string Stage => "curation";

    protected override string GroupId => _options.GroupId;

    protected override IReadOnlyCollection<string> SubscribedTopics { get; } = [Topics.Scored];

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The scorers wait while this group lags by more than MaxConsumerLag, and this group commits only when a
        // window closes, so a larger window could only ever close by age.
        if (_options.WindowSize >= Options.MaxConsumerLag)
        {
            throw new InvalidOperationException(
                $"Curation:WindowSize ({_options.WindowSize}) must be below Kafka:MaxConsumerLag ({Options.MaxConsumerLag}), because the curator commits only when a window closes and the scorers wait while its lag exceeds the limit. Lower the window size or raise the limit.");
        }

        // A locked dataset directory or an unreachable database fails the start, not the first window.
        await _sink.InitializeAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task HandleBatchAsync(IReadOnlyList<ConsumeResult<string?, byte[]>> batch, CancellationToken cancellationToken)
    {
        foreach (var message in batch)
        {
            Interlocked.Increment(ref _consumed);
            ScoredCandidate scored;
            try
            {
                scored = MessageCodec.DecodeScored(message.Message.Value);
                Validate(scored);
            }
            catch (MessageDecodeException ex)
            {
                await DeadLetterAsync(message, ex.Reason, ex.Message, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var position = new SourcePosition(message.Topic, message.Partition.Value, message.Offset.Value);
            var closed = _engine.Add(scored, position);
            _inOpenWindow.Add(message);
            foreach (var window in closed)
            {
                await CompleteAsync(window, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    protected override async Task OnTickAsync(CancellationToken cancellationToken)
    {
        if (_engine.CloseExpired() is { } window)
        {
            await CompleteAsync(window, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async Task OnStoppingAsync(CancellationToken cancellationToken)
    {
        if (_engine.Flush() is { } window)
        {
            await CompleteAsync(window, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions, bool lost)
    {
        // The open window spans every assigned partition, so it closes before any of them moves away. When the
        // partitions are lost nothing can be committed, and the new owner replays the window instead.
        if (lost)
        {
            _engine.Flush();
            _inOpenWindow.Clear();
            return;
        }

        if (_engine.Flush() is { } window)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            CompleteAsync(window, timeout.Token).GetAwaiter().GetResult();
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _producer.Dispose();
    }

    private static void Validate(ScoredCandidate scored)
    {
        if (string.IsNullOrWhiteSpace(scored.ModelVersion))
        {
            throw new MessageDecodeException(DeadLetterReasons.MissingField, "The scored candidate has no model_version; the scorer must tag every score with its model version.");
        }

        if (string.IsNullOrWhiteSpace(scored.Candidate.CandidateId))
        {
            throw new MessageDecodeException(DeadLetterReasons.MissingField, "The scored candidate has no candidate_id.");
        }

        if (!double.IsFinite(scored.Score))
        {
            throw new MessageDecodeException(DeadLetterReasons.UnparseableMessage, $"Candidate {scored.Candidate.CandidateId} has a non-finite score {scored.Score}.");
        }
    }

    private async Task CompleteAsync(ClosedWindow window, CancellationToken cancellationToken)
    {
        await _sink.WriteAsync(window, cancellationToken).ConfigureAwait(false);

        var result = window.ToCuratedWindow();
        await _producer.ProduceAsync(Topics.Curated, window.WindowId, MessageCodec.Encode(result), cancellationToken).ConfigureAwait(false);

        MarkWindowDurable(window);
        LogWindowCompleted(window.WindowId, window.ModelVersion, window.Size, window.Kept.Count);
        WindowCompleted?.Invoke(result);
    }

    private void MarkWindowDurable(ClosedWindow window)
    {
        var highest = window.SourcePositions.ToDictionary(p => (p.Topic, p.Partition), p => p.Offset);
        var done = _inOpenWindow
            .Where(m => highest.TryGetValue((m.Topic, m.Partition.Value), out long offset) && m.Offset.Value <= offset)
            .ToList();

        MarkDurable(done);
        _inOpenWindow.RemoveAll(m => highest.TryGetValue((m.Topic, m.Partition.Value), out long offset) && m.Offset.Value <= offset);
    }

    [LoggerMessage(3100, LogLevel.Debug, "Window {WindowId} of model {ModelVersion} is durable: {Size} candidates, {Kept} kept")]
    private partial void LogWindowCompleted(string windowId, string modelVersion, int size, int kept);
}
