using System.Collections.Concurrent;
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

/// <summary>Fails the first publication, then records what it publishes.</summary>
public sealed class FlakyEventPublisher : IPreferenceEventPublisher
{
    public int FailuresLeft { get; set; } = 1;

    public ConcurrentQueue<PreferenceRecorded> Published { get; } = new();

    public Task PublishAsync(IReadOnlyList<PreferenceRecorded> events, CancellationToken cancellationToken)
    {
        if (FailuresLeft > 0)
        {
            FailuresLeft--;
            throw new InvalidOperationException("The broker is unreachable (simulated).");
        }

        foreach (var recorded in events)
        {
            Published.Enqueue(recorded);
        }

        return Task.CompletedTask;
    }
}

public sealed class PublishFailureTests
{
    [Fact]
    public async Task Retry_publishes_stored_label()
    {
        var publisher = new FlakyEventPublisher();
        await using var host = await FeedbackTestHost.StartAsync(configureServices: services => services.AddSingleton<IPreferenceEventPublisher>(publisher));
        using var client = host.CreateClient();
        var label = new { ImageId = "bridge_1", ChosenText = "a bridge crosses a wide river", RejectedText = "a river" };

        using var failed = await client.PostJsonAsync("/v1/preferences", label);
        using var retried = await client.PostJsonAsync("/v1/preferences", label);
        using var again = await client.PostJsonAsync("/v1/preferences", label);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Contains("retry the request", await failed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(1, (await retried.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("already_stored").GetInt32());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var published = Assert.Single(publisher.Published);
        Assert.Equal("bridge_1", published.ImageId);
        Assert.Equal("alice", published.LabellerId);
        Assert.Single(File.ReadAllLines(Path.Combine(host.DataDirectory, Storage.JsonlPreferenceStore.FileName)));
        FeedbackTestHost.DeleteRoot(host.Root);
    }
}
