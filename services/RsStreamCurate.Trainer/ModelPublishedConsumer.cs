using MassTransit;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Contracts;
using RsStreamCurate.Scoring;

namespace RsStreamCurate.Trainer;

/// <summary>Swaps a promoted model into this process's scorer when <see cref="ModelPublished"/> arrives.</summary>
public sealed partial class ModelPublishedConsumer(RewardScorerHolder scorers, ILogger<ModelPublishedConsumer> logger) : IConsumer<ModelPublished>
{
    public Task Consume(ConsumeContext<ModelPublished> context)
    {
        var published = context.Message;
        try
        {
            string active = scorers.Activate(published.CheckpointUri);
            LogActivated(active, published.ParentVersion ?? "none", published.HeldOutAccuracy);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
        {
            // The scorer keeps its current model; a later ModelPublished can still succeed.
            LogActivationFailed(ex, published.ModelVersion, published.CheckpointUri);
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(4200, LogLevel.Information, "Scoring now uses {ModelVersion} (parent {ParentVersion}, held-out accuracy {HeldOutAccuracy:F4})")]
    private partial void LogActivated(string modelVersion, string parentVersion, double heldOutAccuracy);

    [LoggerMessage(4201, LogLevel.Error, "Could not load published model {ModelVersion} from {CheckpointUri}; scoring keeps the current model")]
    private partial void LogActivationFailed(Exception exception, string modelVersion, string checkpointUri);
}
