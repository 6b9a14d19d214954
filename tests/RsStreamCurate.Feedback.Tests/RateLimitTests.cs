using System.Net;

namespace RsStreamCurate.Feedback.Tests;

public sealed class RateLimitTests
{
    [Fact]
    public async Task Requests_past_limit_get_429()
    {
        await using var host = await FeedbackTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Feedback:RateLimitPermits"] = "3",
            ["Feedback:RateLimitWindow"] = "00:10:00",
        });
        using var alice = host.CreateClient();
        using var bob = host.CreateClient(FeedbackTestHost.BobKey);

        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 3; i++)
        {
            using var allowed = await alice.GetAsync("/v1/pairs/next");
            statuses.Add(allowed.StatusCode);
        }

        using var limited = await alice.GetAsync("/v1/pairs/next");
        using var otherKey = await bob.GetAsync("/v1/pairs/next");

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.NoContent, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After should be a positive delay but is '{limited.Headers.RetryAfter}'.");
        Assert.True(limited.Headers.RetryAfter?.Delta <= TimeSpan.FromMinutes(10));
        Assert.Equal(HttpStatusCode.NoContent, otherKey.StatusCode);
        FeedbackTestHost.DeleteRoot(host.Root);
    }
}
