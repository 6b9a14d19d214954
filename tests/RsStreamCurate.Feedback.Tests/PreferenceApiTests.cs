using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RsStreamCurate.Feedback.Storage;

namespace RsStreamCurate.Feedback.Tests;

public sealed class PreferenceApiTests : IAsyncLifetime
{
    private FeedbackTestHost _host = null!;
    private string _good = null!;
    private string _bad = null!;

    public async Task InitializeAsync()
    {
        _host = await FeedbackTestHost.StartAsync();
        _good = _host.AddCandidate("harbor_1", "many boats are moored in the harbor next to a pier", 1.5);
        _bad = _host.AddCandidate("harbor_1", "a picture", 1.2);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        FeedbackTestHost.DeleteRoot(_host.Root);
    }

    public static TheoryData<string, string> InvalidBodies() => new()
    {
        { """{"chosen_text":"a","rejected_text":"b"}""", "image_id" },
        { """{"image_id":"harbor_1","chosen_candidate_id":"0000","rejected_text":"b"}""", "chosen_candidate_id" },
        { """{"image_id":"harbor_1","chosen_text":"a","rejected_candidate_id":"ffff"}""", "rejected_candidate_id" },
        { """{"image_id":"harbor_1","rejected_text":"b"}""", "chosen_candidate_id" },
        { """{"image_id":"harbor_1","chosen_text":"   ","rejected_text":"b"}""", "chosen_text" },
        { """{"image_id":"harbor_1","chosen_text":"a","rejected_text":"__LONG__"}""", "rejected_text" },
        { """{"image_id":"harbor_1","chosen_text":"same words","rejected_text":" same words "}""", "rejected_text" },
        { """{"image_id":"harbor_1","chosen_text":"a","rejected_text":"b","dimension":"beauty"}""", "dimension" },
        { """{"image_id":"harbor_1","chosen_text":"a","rejected_text":"b","comment":"__LONG__"}""", "comment" },
        { """{"image_id":"harbor_1","chosen_text":"a","chosen_candidate_id":"x","rejected_text":"b"}""", "chosen_candidate_id" },
        { """[{"image_id":"harbor_1","chosen_text":"a","rejected_text":"b"},{"image_id":"harbor_1","chosen_text":"a","rejected_text":"b","dimension":"x"}]""", "[1].dimension" },
        { "[]", "preferences" },
        { "not json", "body" },
        { "42", "body" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Invalid_field_is_named(string body, string field)
    {
        using var client = _host.CreateClient();
        body = body.Replace("__LONG__", new string('x', 2001), StringComparison.Ordinal);

        using var response = await client.PostAsync("/v1/preferences", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = problem.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"errors should name {field}: {errors}");
        Assert.Empty(await ReadStoredAsync());
    }

    [Fact]
    public async Task Chosen_equal_to_rejected_by_id()
    {
        using var client = _host.CreateClient();

        using var response = await client.PostJsonAsync("/v1/preferences", new { ImageId = "harbor_1", ChosenCandidateId = _good, RejectedCandidateId = _good });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("rejected_candidate_id", out _));
    }

    [Fact]
    public async Task Batch_above_limit_is_rejected()
    {
        using var client = _host.CreateClient();
        var batch = Enumerable.Range(0, 101).Select(i => new { ImageId = "harbor_1", ChosenText = $"caption {i}", RejectedText = "a picture" }).ToArray();

        using var response = await client.PostJsonAsync("/v1/preferences", batch);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("at most 100", problem.RootElement.GetProperty("errors").GetProperty("preferences")[0].GetString());
        Assert.Empty(await ReadStoredAsync());
    }

    [Fact]
    public async Task Retried_post_stores_once()
    {
        using var client = _host.CreateClient();
        var byId = new { ImageId = "harbor_1", ChosenCandidateId = _good, RejectedCandidateId = _bad, Dimension = "Specificity" };
        var byText = new { ImageId = "harbor_1", ChosenText = "many boats are moored in the harbor next to a pier", RejectedText = "a picture" };

        using var first = await client.PostJsonAsync("/v1/preferences", byId);
        using var retry = await client.PostJsonAsync("/v1/preferences", byId);
        using var sameByText = await client.PostJsonAsync("/v1/preferences", new[] { byText, byText });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(1, (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stored").GetInt32());
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var retryBody = await retry.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, retryBody.GetProperty("stored").GetInt32());
        Assert.Equal("already_stored", retryBody.GetProperty("results")[0].GetProperty("status").GetString());
        Assert.Equal(0, (await sameByText.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stored").GetInt32());

        var stored = Assert.Single(await ReadStoredAsync());
        Assert.Equal("alice", stored.LabellerId);
        Assert.Equal("specificity", stored.Dimension);
        Assert.Equal(_good, stored.ChosenCandidateId);
        Assert.Equal("reward-v1", stored.ModelVersion);
        Assert.Equal(PreferenceIds.Compute("alice", "harbor_1", "many boats are moored in the harbor next to a pier", "a picture"), stored.PreferenceId);
    }

    [Fact]
    public async Task Repeat_in_batch_counts_once()
    {
        using var client = _host.CreateClient();
        var label = new { ImageId = "harbor_1", ChosenCandidateId = _good, RejectedCandidateId = _bad };

        using var response = await client.PostJsonAsync("/v1/preferences", new[] { label, label });

        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, body.GetProperty("stored").GetInt32());
        Assert.Equal(1, body.GetProperty("already_stored").GetInt32());
        Assert.Equal("stored", body.GetProperty("results")[0].GetProperty("status").GetString());
        Assert.Equal("already_stored", body.GetProperty("results")[1].GetProperty("status").GetString());
        Assert.Single(await ReadStoredAsync());
    }

    [Fact]
    public async Task Missing_key_is_unauthorized()
    {
        using var client = _host.CreateClient(apiKey: null);

        using var post = await client.PostJsonAsync("/v1/preferences", new { ImageId = "harbor_1", ChosenText = "a", RejectedText = "b" });
        using var next = await client.GetAsync("/v1/pairs/next");

        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, next.StatusCode);
        Assert.Contains("X-Api-Key", await post.Content.ReadAsStringAsync());
        Assert.Empty(await ReadStoredAsync());
    }

    [Fact]
    public async Task Wrong_key_is_unauthorized_and_not_logged()
    {
        const string wrongKey = "not-a-configured-key-4711";
        using var client = _host.CreateClient(wrongKey);

        using var post = await client.PostJsonAsync("/v1/preferences", new { ImageId = "harbor_1", ChosenText = "a", RejectedText = "b" });

        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
        Assert.Contains("Invalid API key", await post.Content.ReadAsStringAsync());
        Assert.Empty(await ReadStoredAsync());
        Assert.DoesNotContain(_host.Logs.Messages, message => message.Contains(wrongKey, StringComparison.Ordinal));
        Assert.DoesNotContain(_host.Logs.Messages, message => message.Contains(FeedbackTestHost.AliceKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Hashed_key_is_accepted()
    {
        using var client = _host.CreateClient(FeedbackTestHost.BobKey);

        using var response = await client.PostJsonAsync("/v1/preferences", new { ImageId = "harbor_1", ChosenCandidateId = _good, RejectedCandidateId = _bad });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("bob", Assert.Single(await ReadStoredAsync()).LabellerId);
    }

    [Fact]
    public async Task Images_outside_root_are_rejected()
    {
        await File.WriteAllBytesAsync(Path.Combine(_host.Root, "images", "scenes", "harbor_1.png"), [0x89, 0x50, 0x4E, 0x47]);
        await File.WriteAllTextAsync(Path.Combine(_host.Root, "secret.txt"), "secret-content-4711");
        using var client = _host.CreateClient();

        using var inside = await client.GetAsync("/v1/images/scenes/harbor_1.png");
        using var escaped = await client.GetAsync("/v1/images/scenes/..%2F..%2Fsecret.txt");
        using var missing = await client.GetAsync("/v1/images/scenes/none.png");

        Assert.Equal(HttpStatusCode.OK, inside.StatusCode);
        Assert.Equal("image/png", inside.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, escaped.StatusCode);
        Assert.DoesNotContain("secret-content-4711", await escaped.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private async Task<IReadOnlyList<PreferenceRecord>> ReadStoredAsync()
    {
        string file = Path.Combine(_host.DataDirectory, JsonlPreferenceStore.FileName);
        var records = new List<PreferenceRecord>();
        if (!File.Exists(file))
        {
            return records;
        }

        foreach (string line in await File.ReadAllLinesAsync(file))
        {
            records.Add(JsonSerializer.Deserialize(line, StorageJsonContext.Default.PreferenceRecord)!);
        }

        return records;
    }
}
