using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RsStreamCurate.Contracts;
using RsStreamCurate.Kafka;

namespace RsStreamCurate.Feedback.Catalog;

/// <summary>
/// Fills the <see cref="CandidateCatalog"/> from <c>rs.scored</c>. The catalog lives in memory only, so each message
/// is marked durable as soon as it is applied.
/// </summary>
/// <remarks>
/// NOTE: the catalog is not persisted. After a restart the group resumes at its committed offsets, so pairs/next
/// offers only candidates scored after that point.
/// </remarks>
public sealed class ScoredCatalogConsumer(
    KafkaConnection connection,
    DeadLetterPublisher deadLetters,
    CandidateCatalog catalog,
    IOptions<FeedbackOptions> options,
    ILogger<ScoredCatalogConsumer> logger)
    : KafkaBatchConsumerService(connection, deadLetters, logger)
{
    protected override string Stage => "feedback";

    protected override string GroupId => options.Value.GroupId;

    protected override IReadOnlyCollection<string> SubscribedTopics { get; } = [Topics.Scored];

    protected override async Task HandleBatchAsync(IReadOnlyList<ConsumeResult<string?, byte[]>> batch, CancellationToken cancellationToken)
    {
        foreach (var message in batch)
        {
            ScoredCandidate scored;
            try
            {
                scored = MessageCodec.DecodeScored(message.Message.Value);
            }
            catch (MessageDecodeException ex)
            {
                await DeadLetterAsync(message, ex.Reason, ex.Message, cancellationToken).ConfigureAwait(false);
                continue;
            }

            catalog.Update(scored);
            MarkDurable(message);
        }
    }
}
