using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using RsStreamCurate.Contracts;
using RsStreamCurate.Feedback.ControlPlane;

namespace RsStreamCurate.Feedback.Tests;

/// <summary>Requests that the fake trainer received, and whether it publishes a model for each one.</summary>
public sealed class FakeTrainerState
{
    public ConcurrentQueue<RetrainRequested> Requests { get; } = new();

    /// <summary>When true, the trainer publishes <see cref="ModelPublished"/> for each request at once.</summary>
    public bool PublishesModels { get; set; }
}

/// <summary>A stand-in trainer that records each request and, when <see cref="FakeTrainerState.PublishesModels"/> is set, publishes a new model version for it.</summary>
public sealed class FakeTrainer(FakeTrainerState state) : IConsumer<RetrainRequested>
{
    public async Task Consume(ConsumeContext<RetrainRequested> context)
    {
        state.Requests.Enqueue(context.Message);
        if (state.PublishesModels)
        {
            await context.Publish(new ModelPublished
            {
                ModelVersion = $"reward-trained-{state.Requests.Count}",
                ParentVersion = context.Message.BaseModelVersion,
                CheckpointUri = $"models/reward-trained-{state.Requests.Count}",
                HeldOutAccuracy = 0.8,
                LabelCount = context.Message.NewLabelCount,
                RequestId = context.Message.RequestId,
            });
        }
    }
}

/// <summary>A generic host with the control plane (retrain policy on MassTransit), a fake trainer and a fake clock.</summary>
public sealed class ControlPlaneTestHost : IAsyncDisposable
{
    private ControlPlaneTestHost(IHost host, FakeTimeProvider time)
    {
        Host = host;
        Time = time;
    }

    public IHost Host { get; }

    public FakeTimeProvider Time { get; }

    public FakeTrainerState Trainer => Host.Services.GetRequiredService<FakeTrainerState>();

    public RetrainPolicy Policy => Host.Services.GetRequiredService<RetrainPolicy>();

    public IBus Bus => Host.Services.GetRequiredService<IBus>();

    public static async Task<ControlPlaneTestHost> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSingleton<FakeTrainerState>();

        // A queue name of its own per test keeps a shared broker from handing one test's requests to another.
        string trainerQueue = "fake-trainer-" + Guid.NewGuid().ToString("N")[..8];
        builder.Services.AddFeedbackControlPlane(builder.Configuration, bus =>
            bus.AddConsumer<FakeTrainer>().Endpoint(endpoint => endpoint.Name = trainerQueue));

        var host = builder.Build();
        await host.StartAsync();
        return new ControlPlaneTestHost(host, time);
    }

    public PreferenceRecorded Label(int i) => new()
    {
        PreferenceId = $"pref-{i}",
        ImageId = $"image_{i}",
        ChosenText = $"good caption {i}",
        RejectedText = $"bad caption {i}",
        LabellerId = "alice",
        RecordedAt = Time.GetUtcNow(),
    };

    public async Task PublishLabelsAsync(IEnumerable<int> ids)
    {
        foreach (int i in ids)
        {
            await Bus.Publish(Label(i));
        }
    }

    /// <summary>Waits until the condition holds, and fails with the description after 15 s.</summary>
    public static async Task WaitForAsync(Func<bool> condition, string description)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after 15 s waiting until {description}.");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
    }
}
