using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RsStreamCurate.Contracts;
using RsStreamCurate.Kafka.Embedded;
using Xunit.Abstractions;

namespace RsStreamCurate.Kafka.Tests;

public sealed class DeadLetterPublisherTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Dead_letter_without_source_keeps_payload()
    {
        using var context = KafkaTestContext.Create(output);
        byte[] line = Encoding.UTF8.GetBytes("{\"image\": \"airport_1.jpg\"");

        bool published = await context.DeadLetters.PublishAsync(
            "synthesis", DeadLetterReasons.InvalidManifestLine, "manifest line 7 is not valid JSON", Encoding.UTF8.GetBytes("line-7"), line, source: null);

        var record = Assert.Single(context.ReadFromStart(Topics.DeadLetter, 1));
        var deadLetter = MessageCodec.DecodeDeadLetter(record.Message.Value);
        Assert.True(published);
        Assert.Equal("line-7", record.Message.Key);
        Assert.Equal("synthesis", deadLetter.Stage);
        Assert.Equal(DeadLetterReasons.InvalidManifestLine, deadLetter.Reason);
        Assert.Equal("manifest line 7 is not valid JSON", deadLetter.Detail);
        Assert.Equal("{\"image\": \"airport_1.jpg\"", deadLetter.OriginalPayload);
        Assert.False(deadLetter.PayloadIsBase64);
        Assert.Null(deadLetter.SourceTopic);
        Assert.Null(deadLetter.SourceOffset);
        Assert.NotEqual(default, deadLetter.OccurredAt);
    }

    [Fact]
    public async Task Failed_publication_returns_false()
    {
        string stoppedBroker;
        using (var cluster = new EmbeddedKafkaCluster())
        {
            stoppedBroker = cluster.BootstrapServers;
        }

        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(new TestOutputLoggerProvider(output)));
        var options = new KafkaOptions { BootstrapServers = stoppedBroker, Producer = { ["message.timeout.ms"] = "1000" } };
        using var connection = new KafkaConnection(Options.Create(options), loggerFactory);
        var publisher = new DeadLetterPublisher(connection, loggerFactory.CreateLogger<DeadLetterPublisher>());
        double failuresBefore = KafkaMetrics.DeadLetterPublishFailures.WithLabels("unreachable-stage").Value;

        var publish = publisher.PublishAsync("unreachable-stage", DeadLetterReasons.EmptyCaption, "caption of c1 is empty", null, [1, 2, 3], source: null);
        var finished = await Task.WhenAny(publish, Task.Delay(KafkaTestContext.Timeout));
        publisher.Dispose();

        Assert.Same(publish, finished);
        Assert.False(await publish);
        Assert.Equal(failuresBefore + 1, KafkaMetrics.DeadLetterPublishFailures.WithLabels("unreachable-stage").Value);
    }
}
