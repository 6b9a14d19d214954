using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace RsStreamCurate.Feedback.Tests;

public sealed class PairSelectionTests : IAsyncLifetime
{
    private FeedbackTestHost _host = null!;

    public async Task InitializeAsync() => _host = await FeedbackTestHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        FeedbackTestHost.DeleteRoot(_host.Root);
    }

    [Fact]
    public async Task Next_pair_has_closest_scores()
    {
        _host.AddCandidate("beach_1", "waves break on a sandy beach", 2.0);
        _host.AddCandidate("beach_1", "a beach", 0.0);
        string closeA = _host.AddCandidate("farm_2", "green fields divided by roads", 1.00);
        string closeB = _host.AddCandidate("farm_2", "several fields", 1.05);
        _host.AddCandidate("farm_2", "a city", -3.0);

        // Scores of another model version are never compared with these, however close.
        _host.AddCandidate("port_3", "ships at a port", 0.5, modelVersion: "reward-v2");
        _host.AddCandidate("port_3", "a port", 0.5001, modelVersion: "reward-v1");
        using var client = _host.CreateClient();

        using var response = await client.GetAsync("/v1/pairs/next?labeller=alice");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var pair = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("farm_2", pair.GetProperty("image_id").GetString());
        Assert.Equal("/v1/images/scenes/farm_2.png", pair.GetProperty("image_url").GetString());
        var ids = pair.GetProperty("candidates").EnumerateArray().Select(c => c.GetProperty("candidate_id").GetString()).ToHashSet();
        Assert.Equal(new HashSet<string?> { closeA, closeB }, ids);
        Assert.All(pair.GetProperty("candidates").EnumerateArray(), c => Assert.False(string.IsNullOrEmpty(c.GetProperty("text").GetString())));
    }

    [Fact]
    public async Task Judged_pair_is_never_repeated()
    {
        _host.AddCandidate("forest_4", "dense trees cover the hills", 1.0);
        _host.AddCandidate("forest_4", "many trees", 1.1);
        _host.AddCandidate("forest_4", "a red car", -2.0);
        using var alice = _host.CreateClient();
        using var bob = _host.CreateClient(FeedbackTestHost.BobKey);

        var seen = new HashSet<string>();
        for (int round = 0; round < 3; round++)
        {
            using var response = await alice.GetAsync("/v1/pairs/next");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var pair = await response.Content.ReadFromJsonAsync<JsonElement>();
            var candidates = pair.GetProperty("candidates");
            string first = candidates[0].GetProperty("candidate_id").GetString()!;
            string second = candidates[1].GetProperty("candidate_id").GetString()!;
            Assert.True(seen.Add(first + "|" + second), $"round {round} offered the judged pair {first}|{second} again");

            using var stored = await alice.PostJsonAsync("/v1/preferences", new { ImageId = "forest_4", ChosenCandidateId = first, RejectedCandidateId = second });
            Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        }

        using var exhausted = await alice.GetAsync("/v1/pairs/next");
        using var forBob = await bob.GetAsync("/v1/pairs/next");

        Assert.Equal(HttpStatusCode.NoContent, exhausted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, forBob.StatusCode);
    }

    [Fact]
    public async Task Skipped_pair_is_not_offered_again()
    {
        string a = _host.AddCandidate("river_5", "a river winds through fields", 0.2);
        string b = _host.AddCandidate("river_5", "water", 0.3);
        using var client = _host.CreateClient();

        using var skip = await client.PostJsonAsync("/v1/pairs/skip", new { ImageId = "river_5", CandidateIds = new[] { a, b } });
        using var next = await client.GetAsync("/v1/pairs/next");

        Assert.Equal(HttpStatusCode.NoContent, skip.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, next.StatusCode);
    }

    [Fact]
    public async Task Other_labeller_in_query_is_forbidden()
    {
        using var client = _host.CreateClient();

        using var response = await client.GetAsync("/v1/pairs/next?labeller=bob");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Agreement_counts_pairs_judged_twice()
    {
        string a = _host.AddCandidate("church_6", "a white church with a tall tower", 0.2);
        string b = _host.AddCandidate("church_6", "a building", 0.3);
        string c = _host.AddCandidate("church_7", "a stadium with a green field", 0.2);
        string d = _host.AddCandidate("church_7", "grass", 0.4);
        using var alice = _host.CreateClient();
        using var bob = _host.CreateClient(FeedbackTestHost.BobKey);

        await alice.PostJsonAsync("/v1/preferences", new { ImageId = "church_6", ChosenCandidateId = a, RejectedCandidateId = b });
        await bob.PostJsonAsync("/v1/preferences", new { ImageId = "church_6", ChosenCandidateId = a, RejectedCandidateId = b });
        await alice.PostJsonAsync("/v1/preferences", new { ImageId = "church_7", ChosenCandidateId = c, RejectedCandidateId = d });
        await bob.PostJsonAsync("/v1/preferences", new { ImageId = "church_7", ChosenCandidateId = d, RejectedCandidateId = c });

        var index = _host.App.Services.GetService(typeof(LabelIndex)) as LabelIndex;
        Assert.NotNull(index);
        Assert.Equal(2, index.MultiplyJudgedPairs);
        Assert.Equal(0.5, index.AgreementRatio);
    }
}
