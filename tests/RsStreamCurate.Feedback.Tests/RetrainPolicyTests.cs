using RsStreamCurate.Contracts;
using RsStreamCurate.Feedback.ControlPlane;

namespace RsStreamCurate.Feedback.Tests;

/// <summary>The retrain policy on the MassTransit in-memory transport, with a fake trainer and a fake clock.</summary>
public sealed class RetrainPolicyTests
{
    private static Dictionary<string, string?> Settings(int threshold, int minForMaxWait = 1000, string maxWait = "01:00:00") => new()
    {
        ["Retrain:LabelThreshold"] = threshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Retrain:MinLabelsForMaxWait"] = minForMaxWait.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Retrain:MaxWait"] = maxWait,
        ["Retrain:CheckInterval"] = "00:01:00",
    };

    [Fact]
    public async Task Label_threshold_triggers_request()
    {
        await using var host = await ControlPlaneTestHost.StartAsync(Settings(threshold: 3));

        await host.PublishLabelsAsync([1, 2]);
        await ControlPlaneTestHost.WaitForAsync(() => host.Policy.PendingLabels == 2, "the policy counted 2 labels");
        Assert.Empty(host.Trainer.Requests);

        await host.PublishLabelsAsync([2, 3]);
        await ControlPlaneTestHost.WaitForAsync(() => !host.Trainer.Requests.IsEmpty, "the trainer received a request");

        var request = Assert.Single(host.Trainer.Requests);
        Assert.Equal(3, request.NewLabelCount);
        Assert.Equal(RetrainPolicy.LabelCountTrigger, request.Trigger);
        Assert.Equal(new RetrainPolicyOptions().InitialModelVersion, request.BaseModelVersion);
        Assert.False(request.Coalesced);
        Assert.Equal(0, host.Policy.PendingLabels);
    }

    [Fact]
    public async Task Max_wait_needs_min_labels()
    {
        await using var host = await ControlPlaneTestHost.StartAsync(Settings(threshold: 100, minForMaxWait: 2, maxWait: "00:10:00"));
        var firstRecordedAt = host.Time.GetUtcNow();

        await host.PublishLabelsAsync([1]);
        await ControlPlaneTestHost.WaitForAsync(() => host.Policy.PendingLabels == 1, "the policy counted the first label");
        host.Time.Advance(TimeSpan.FromMinutes(11));
        await Task.Delay(200);
        Assert.Empty(host.Trainer.Requests);

        // The second label meets the minimum while the first is older than MaxWait, so it triggers at once.
        await host.PublishLabelsAsync([2]);
        await ControlPlaneTestHost.WaitForAsync(() => !host.Trainer.Requests.IsEmpty, "the policy sent a request");

        var request = Assert.Single(host.Trainer.Requests);
        Assert.Equal(RetrainPolicy.MaxWaitTrigger, request.Trigger);
        Assert.Equal(2, request.NewLabelCount);
        Assert.Equal(firstRecordedAt, request.OldestLabelAt);
    }

    [Fact]
    public async Task Timer_fires_max_wait_trigger()
    {
        await using var host = await ControlPlaneTestHost.StartAsync(Settings(threshold: 100, minForMaxWait: 2, maxWait: "00:10:00"));
        var firstRecordedAt = host.Time.GetUtcNow();

        await host.PublishLabelsAsync([1]);
        host.Time.Advance(TimeSpan.FromMinutes(5));
        await host.PublishLabelsAsync([2]);
        await ControlPlaneTestHost.WaitForAsync(() => host.Policy.PendingLabels == 2, "the policy counted both labels");
        host.Time.Advance(TimeSpan.FromMinutes(4));
        await Task.Delay(200);
        Assert.Empty(host.Trainer.Requests);

        host.Time.Advance(TimeSpan.FromMinutes(2));
        await ControlPlaneTestHost.WaitForAsync(() => !host.Trainer.Requests.IsEmpty, "the timer sent a request");

        var request = Assert.Single(host.Trainer.Requests);
        Assert.Equal(RetrainPolicy.MaxWaitTrigger, request.Trigger);
        Assert.Equal(2, request.NewLabelCount);
        Assert.Equal(firstRecordedAt, request.OldestLabelAt);
        Assert.Equal(firstRecordedAt.AddMinutes(11), request.RequestedAt);
    }

    [Fact]
    public async Task Requests_during_training_are_coalesced()
    {
        await using var host = await ControlPlaneTestHost.StartAsync(Settings(threshold: 2));

        await host.PublishLabelsAsync([1, 2]);
        await ControlPlaneTestHost.WaitForAsync(() => host.Trainer.Requests.Count == 1, "the first request arrived");
        string firstRequest = host.Policy.InFlightRequestId!;

        // Five labels pass the threshold twice while the first training runs.
        await host.PublishLabelsAsync([3, 4, 5, 6, 7]);
        await ControlPlaneTestHost.WaitForAsync(() => host.Policy.PendingLabels == 5, "the policy counted 5 labels during training");
        Assert.Single(host.Trainer.Requests);

        await host.Bus.Publish(new ModelPublished { ModelVersion = "reward-v2", CheckpointUri = "models/reward-v2", HeldOutAccuracy = 0.81, RequestId = firstRequest });
        await ControlPlaneTestHost.WaitForAsync(() => host.Trainer.Requests.Count == 2, "the coalesced request arrived");

        var coalesced = host.Trainer.Requests.Last();
        Assert.True(coalesced.Coalesced);
        Assert.Equal(5, coalesced.NewLabelCount);
        Assert.Equal("reward-v2", coalesced.BaseModelVersion);
        Assert.NotEqual(firstRequest, coalesced.RequestId);

        await host.Bus.Publish(new ModelRejected
        {
            CandidateVersion = "reward-v3", CurrentVersion = "reward-v2", CandidateAccuracy = 0.7, CurrentAccuracy = 0.81,
            Tolerance = 0.01, Reason = "worse on held-out pairs", RequestId = coalesced.RequestId,
        });
        await ControlPlaneTestHost.WaitForAsync(() => host.Policy.InFlightRequestId is null, "the rejected training ended");
        await Task.Delay(200);
        Assert.Equal(2, host.Trainer.Requests.Count);
        Assert.Equal("reward-v2", host.Policy.CurrentModelVersion);
    }

    [Fact]
    public async Task Trainer_answer_allows_next_request()
    {
        await using var host = await ControlPlaneTestHost.StartAsync(Settings(threshold: 2));
        host.Trainer.PublishesModels = true;

        await host.PublishLabelsAsync([1, 2]);
        await ControlPlaneTestHost.WaitForAsync(() => host.Policy.CurrentModelVersion == "reward-trained-1", "the trained model was published");
        await ControlPlaneTestHost.WaitForAsync(() => host.Policy.InFlightRequestId is null, "the training ended");

        await host.PublishLabelsAsync([3, 4]);
        await ControlPlaneTestHost.WaitForAsync(() => host.Trainer.Requests.Count == 2, "the second request arrived");

        var second = host.Trainer.Requests.Last();
        Assert.Equal("reward-trained-1", second.BaseModelVersion);
        Assert.False(second.Coalesced);
        Assert.Equal(2, second.NewLabelCount);
    }

    [Fact]
    public async Task Result_of_other_request_is_ignored()
    {
        await using var host = await ControlPlaneTestHost.StartAsync(Settings(threshold: 1));

        await host.PublishLabelsAsync([1]);
        await ControlPlaneTestHost.WaitForAsync(() => host.Policy.InFlightRequestId is not null, "a training started");
        await host.Bus.Publish(new ModelPublished { ModelVersion = "reward-x", CheckpointUri = "x", HeldOutAccuracy = 0.5, RequestId = "some-other-request" });
        await host.PublishLabelsAsync([2]);
        await ControlPlaneTestHost.WaitForAsync(() => host.Policy.PendingLabels == 1, "the policy counted the label during training");

        Assert.NotNull(host.Policy.InFlightRequestId);
        Assert.Single(host.Trainer.Requests);
        Assert.Equal(new RetrainPolicyOptions().InitialModelVersion, host.Policy.CurrentModelVersion);
    }
}
