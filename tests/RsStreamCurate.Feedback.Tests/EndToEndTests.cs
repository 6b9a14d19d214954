using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RsStreamCurate.Contracts;
using RsStreamCurate.Kafka;

namespace RsStreamCurate.Feedback.Tests;

public sealed class EndToEndTests
{
    [Fact]
    public async Task Scored_topic_fills_catalog()
    {
        await using var host = await FeedbackTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Feedback:ConsumeScored"] = "true",
            ["Kafka:Partitions"] = "2",
        });
        var connection = host.App.Services.GetRequiredService<KafkaConnection>();
        using var producer = new KafkaStageProducer(connection, "test");
        var messages = new List<(string? Key, byte[] Value)>
        {
            (null, MessageCodec.Encode(Scored("airport_1", "planes park at the terminal", 0.9))),
            (null, MessageCodec.Encode(Scored("airport_1", "an airport", 0.7))),
            (null, "not json"u8.ToArray()),
        };

        await producer.ProduceBatchAsync(Topics.Scored, messages);
        await ControlPlaneTestHost.WaitForAsync(() => host.Catalog.ImageCount == 1 && host.Catalog.FindClosestPair((_, _, _) => false) is not null, "the consumer put both candidates in the catalog");
        using var client = host.CreateClient();
        using var next = await client.GetAsync("/v1/pairs/next");

        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal("airport_1", (await next.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("image_id").GetString());
        FeedbackTestHost.DeleteRoot(host.Root);
    }

    [Fact]
    public async Task Posted_labels_trigger_retrain()
    {
        const string carolKey = "carol-key-0123456789";
        var trainer = new FakeTrainerState { PublishesModels = true };
        await using var host = await FeedbackTestHost.StartAsync(
            new Dictionary<string, string?> { ["Retrain:LabelThreshold"] = "3", ["Feedback:ApiKeys:carol"] = carolKey },
            configureBus: bus => bus.AddConsumer<FakeTrainer>().Endpoint(endpoint => endpoint.Name = "fake-trainer-e2e"),
            configureServices: services => services.AddSingleton(trainer));
        using var client = host.CreateClient(carolKey);

        // The metrics are process-wide, and other tests observe the lag histogram at the same time.
        double carolLabelsBefore = FeedbackMetrics.Labels.WithLabels("carol", "none").Value;
        long lagCountBefore = FeedbackMetrics.LabelToRetrainSeconds.Count;
        var labels = Enumerable.Range(0, 3).Select(i => new { ImageId = $"lake_{i}", ChosenText = $"a lake with {i} boats", RejectedText = "water" }).ToArray();

        using var first = await client.PostJsonAsync("/v1/preferences", labels[..2]);
        using var retry = await client.PostJsonAsync("/v1/preferences", labels[..2]);
        await Task.Delay(200);
        Assert.Empty(trainer.Requests);
        using var third = await client.PostJsonAsync("/v1/preferences", labels[2]);
        await ControlPlaneTestHost.WaitForAsync(() => !trainer.Requests.IsEmpty, "the trainer received a retrain request");

        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        var request = Assert.Single(trainer.Requests);
        Assert.Equal(3, request.NewLabelCount);
        Assert.Equal(3, FeedbackMetrics.Labels.WithLabels("carol", "none").Value - carolLabelsBefore);
        Assert.True(FeedbackMetrics.LabelToRetrainSeconds.Count - lagCountBefore >= 3, "the lag histogram should have one observation per covered label");
        FeedbackTestHost.DeleteRoot(host.Root);
    }

    private static ScoredCandidate Scored(string imageId, string text, double score) => new()
    {
        Candidate = new CandidateCaption
        {
            CandidateId = CandidateId.Compute(imageId, text, "test"),
            ImageId = imageId,
            ImageUri = $"scenes/{imageId}.png",
            Text = text,
            Generator = "test",
        },
        Score = score,
        ModelVersion = "reward-v1",
        ScoredAt = DateTimeOffset.UtcNow,
    };
}
