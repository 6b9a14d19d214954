using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Cli;

namespace RsStreamCurate.IntegrationTests;

/// <summary>POST /v1/score on a real Kestrel server with the shipped model.</summary>
public sealed class ScoringApiTests : IAsyncLifetime
{
    private readonly int _port = TestSupport.FreePort();
    private readonly string _images = Path.GetDirectoryName(BundledAssets.SampleManifest)!;
    private WebApplication? _app;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var defaults = new Dictionary<string, string?>
        {
            ["Scoring:Checkpoint"] = BundledAssets.DefaultCheckpoint,
            ["Scoring:ImageRoot"] = _images,
            ["ScoringApi:MaxItems"] = "8",
        };
        _app = ApiHost.BuildScoringApi(null, $"http://127.0.0.1:{_port}", defaults, LogLevel.Warning);
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Batch_returns_scores_in_order()
    {
        string image = Directory.GetFiles(Path.Combine(_images, "images"), "*.jpg").Order(StringComparer.Ordinal).First();
        string relative = Path.GetRelativePath(_images, image);
        string base64 = Convert.ToBase64String(File.ReadAllBytes(image));

        var response = await _client.PostAsJsonAsync("/v1/score", new
        {
            items = new object[]
            {
                new { image = relative, text = "a white plane is parked on the runway of the airport" },
                new { image = relative, text = "an aerial image" },
                new { image_base64 = base64, text = "a white plane is parked on the runway of the airport", question = "what is on the runway?" },
            },
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(TestSupport.ShippedModelVersion, json.RootElement.GetProperty("model_version").GetString());
        var results = json.RootElement.GetProperty("results");
        Assert.Equal(3, results.GetArrayLength());
        double byPath = results[0].GetProperty("score").GetDouble();
        double generic = results[1].GetProperty("score").GetDouble();
        double byBytes = results[2].GetProperty("score").GetDouble();
        Assert.Equal(byPath, byBytes, 5);
        Assert.NotEqual(byPath, generic);
    }

    [Theory]
    [InlineData("""{"items":[]}""", 400, "items")]
    [InlineData("""{"items":[{"image":"images/a.jpg"}]}""", 400, "items[0].text")]
    [InlineData("""{"items":[{"text":"a beach"}]}""", 400, "items[0].image")]
    [InlineData("""{"items":[{"image":"images/a.jpg","image_base64":"AAAA","text":"a beach"}]}""", 400, "items[0].image")]
    [InlineData("""{"items":[{"image_base64":"not base64!","text":"a beach"}]}""", 400, "items[0].image_base64")]
    [InlineData("""{"items":[{"image":"images/missing.jpg","text":"a beach"}]}""", 422, "items[0].image")]
    [InlineData("""{"items":[{"image":"../outside.jpg","text":"a beach"}]}""", 422, "items[0].image")]
    [InlineData("""{"items":[{"image_base64":"aGVsbG8=","text":"a beach"}]}""", 422, "items[0].image_base64")]
    [InlineData("""{"items": not json""", 400, "body")]
    public async Task Bad_items_get_errors_naming_field(string body, int status, string field)
    {
        var response = await _client.PostAsync("/v1/score", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(status, (int)response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = json.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for {field}: {errors}");
        Assert.False(string.IsNullOrWhiteSpace(messages[0].GetString()));
    }

    [Theory]
    [InlineData("""{"items":[{"image":"images/missing.jpg","text":"a beach"}]}""", "items[0].image", "image_not_found")]
    [InlineData("""{"items":[{"image":"../outside.jpg","text":"a beach"}]}""", "items[0].image", "path_outside_image_root")]
    public async Task Unscorable_image_error_hides_server_paths(string body, string field, string reason)
    {
        var response = await _client.PostAsync("/v1/score", new StringContent(body, Encoding.UTF8, "application/json"));

        string text = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(text);
        string message = json.RootElement.GetProperty("errors").GetProperty(field)[0].GetString()!;
        Assert.StartsWith(reason + ":", message);
        Assert.DoesNotContain(_images, text);
    }

    [Fact]
    public async Task Too_many_items_gets_413()
    {
        var items = Enumerable.Range(0, 9).Select(i => new { image = "images/a.jpg", text = $"caption {i}" }).ToArray();

        var response = await _client.PostAsJsonAsync("/v1/score", new { items });

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("maximum of 8", await response.Content.ReadAsStringAsync());
    }
}
