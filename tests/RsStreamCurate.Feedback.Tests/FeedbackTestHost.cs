using System.Collections.Concurrent;
using System.Net.Http.Json;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Contracts;
using RsStreamCurate.Feedback.Api;
using RsStreamCurate.Feedback.Catalog;

namespace RsStreamCurate.Feedback.Tests;

/// <summary>
/// The feedback service on a real Kestrel server on a free 127.0.0.1 port, with the embedded label store in a
/// temporary folder, no Kafka consumer (tests fill the catalog directly) and the in-memory MassTransit transport.
/// </summary>
public sealed class FeedbackTestHost : IAsyncDisposable
{
    public const string AliceKey = "alice-key-0123456789";
    public const string BobKey = "bob-key-0123456789abcdef";

    private FeedbackTestHost(WebApplication app, string baseAddress, string root, CapturingLoggerProvider logs)
    {
        App = app;
        BaseAddress = baseAddress;
        Root = root;
        Logs = logs;
    }

    public WebApplication App { get; }

    public string BaseAddress { get; }

    /// <summary>Temporary folder with <c>data/</c> (label store) and <c>images/</c> (image root).</summary>
    public string Root { get; }

    public CapturingLoggerProvider Logs { get; }

    public CandidateCatalog Catalog => App.Services.GetRequiredService<CandidateCatalog>();

    public string DataDirectory => Path.Combine(Root, "data");

    public static async Task<FeedbackTestHost> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null,
        string? root = null,
        Action<IBusRegistrationConfigurator>? configureBus = null,
        Action<IServiceCollection>? configureServices = null)
    {
        root ??= Directory.CreateTempSubdirectory("rscurate-feedback-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "images", "scenes"));

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = root });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);

        var configuration = new Dictionary<string, string?>
        {
            ["Feedback:ApiKeys:alice"] = AliceKey,
            ["Feedback:ApiKeys:bob"] = "sha256:" + Convert.ToHexString(Api.ApiKeyHash.Compute(BobKey)),
            ["Feedback:ConsumeScored"] = "false",
            ["Feedback:DataDirectory"] = Path.Combine(root, "data"),
            ["Feedback:ImageRoot"] = Path.Combine(root, "images"),
            ["Feedback:RateLimitPermits"] = "1000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        configureServices?.Invoke(builder.Services);
        builder.Services.AddFeedbackService(builder.Configuration, configureBus);

        var app = builder.Build();
        app.MapFeedbackEndpoints();
        await app.StartAsync();

        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new FeedbackTestHost(app, address, root, logs);
    }

    public HttpClient CreateClient(string? apiKey = AliceKey)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseAddress), Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    /// <summary>Adds a scored candidate to the catalog and returns its id.</summary>
    public string AddCandidate(string imageId, string text, double score, string modelVersion = "reward-v1", string? imageUri = null)
    {
        var caption = new CandidateCaption
        {
            CandidateId = CandidateId.Compute(imageId, text, "test"),
            ImageId = imageId,
            ImageUri = imageUri ?? $"scenes/{imageId}.png",
            Text = text,
            Generator = "test",
        };
        Catalog.Update(new ScoredCandidate { Candidate = caption, Score = score, ModelVersion = modelVersion, ScoredAt = DateTimeOffset.UtcNow });
        return caption.CandidateId;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }

    /// <summary>Deletes the temporary folder; call it after the last host that used it was disposed.</summary>
    public static void DeleteRoot(string root)
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder does no harm to later runs.
        }
    }
}

/// <summary>Keeps every formatted log message, so tests can check what was logged.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Messages { get; } = new();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Messages.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}

internal static class HttpExtensions
{
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, object body) =>
        client.PostAsJsonAsync(path, body, Api.FeedbackJson.Options);
}
