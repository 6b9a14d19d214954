using Microsoft.Extensions.Options;

namespace RsStreamCurate.Feedback.Tests;

public sealed class OptionsValidationTests
{
    [Fact]
    public async Task Short_key_fails_start_unlogged()
    {
        const string shortKey = "tiny-key-1";
        var root = Directory.CreateTempSubdirectory("rscurate-feedback-").FullName;

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => FeedbackTestHost.StartAsync(
            new Dictionary<string, string?> { ["Feedback:ApiKeys:carol"] = shortKey, ["Feedback:RateLimitWindow"] = "00:00:00" },
            root));

        Assert.Contains("Feedback:ApiKeys:carol is 10 characters long", error.Message);
        Assert.Contains("Feedback:RateLimitWindow must be a positive duration", error.Message);
        Assert.DoesNotContain(shortKey, error.Message);
        FeedbackTestHost.DeleteRoot(root);
    }

    [Fact]
    public async Task Invalid_retrain_setting_is_named()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => ControlPlaneTestHost.StartAsync(
            new Dictionary<string, string?> { ["Retrain:LabelThreshold"] = "0", ["RabbitMq:ConnectionString"] = "http://127.0.0.1:55672" }));

        Assert.Contains("Retrain:LabelThreshold must be at least 1, but is 0.", error.Message + string.Join(" ", error.Failures));
    }

    [Fact]
    public async Task Invalid_broker_uri_is_named()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => ControlPlaneTestHost.StartAsync(
            new Dictionary<string, string?> { ["RabbitMq:ConnectionString"] = "http://user:secret-password@127.0.0.1:55672" }));

        Assert.Contains("RabbitMq:ConnectionString must be an amqp:// or amqps:// URI.", error.Message);
        Assert.DoesNotContain("secret-password", error.Message);
    }
}
