using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RsStreamCurate.Cli;
using RsStreamCurate.Contracts;
using RsStreamCurate.Feedback.Storage;
using RsStreamCurate.Scoring.Registry;
using RsStreamCurate.Synthesis;
using RsStreamCurate.Trainer;
using RsStreamCurate.Training;

namespace RsStreamCurate.IntegrationTests;

public sealed class RetrainRejectionTests
{
    [Fact]
    public async Task Inverted_labels_model_is_rejected()
    {
        using var temp = new TestSupport.TemporaryDirectory();
        string manifest = BundledAssets.SampleManifest;
        string labelDirectory = Path.Combine(temp.Path, "labels");

        // Labels that prefer the defective caption: a deliberately worse teacher.
        var entries = ManifestReader.Read(manifest).ToList();
        var inverted = PreferencePairBuilder.Build(entries, seed: 3, new PreferencePairOptions { RelevancePairsPerCaption = 0 })
            .Take(300)
            .Select(p => new PreferenceRecord
            {
                PreferenceId = PreferenceIds.Compute("mallory", p.ImageId, p.Rejected, p.Chosen),
                LabellerId = "mallory",
                ImageId = p.ImageId,
                ChosenText = p.Rejected,
                RejectedText = p.Chosen,
                RecordedAt = DateTimeOffset.UtcNow,
            })
            .ToList();
        await using (var store = new JsonlPreferenceStore(labelDirectory, NullLogger<JsonlPreferenceStore>.Instance))
        {
            await store.OpenAsync(CancellationToken.None);
            await store.AddAsync(inverted, CancellationToken.None);
        }

        var coordinator = new RetrainCoordinator(
            Options.Create(new TrainerOptions
            {
                Manifest = manifest,
                RegistryDirectory = Path.Combine(temp.Path, "models"),
                InitialCheckpoint = BundledAssets.DefaultCheckpoint,
                LabelDirectory = labelDirectory,
                HumanLabelWeight = 20,
                HumanHoldOutFraction = 0,
                Epochs = 4,
                RegistryPostgresConnectionString = TestSupport.PostgresConnectionString(),
            }),
            TimeProvider.System,
            NullLogger<RetrainCoordinator>.Instance);
        var current = await coordinator.GetOrBootstrapCurrentAsync(CancellationToken.None);

        var outcome = await coordinator.RetrainAsync(new RetrainRequested
        {
            RequestId = "req-1",
            BaseModelVersion = current.Version,
            NewLabelCount = inverted.Count,
            Trigger = "label_count",
        }, CancellationToken.None);

        Assert.Null(outcome.Published);
        var rejected = Assert.IsType<ModelRejected>(outcome.Rejected);
        Assert.Equal(current.Version, rejected.CurrentVersion);
        Assert.Equal("req-1", rejected.RequestId);
        Assert.True(rejected.CandidateAccuracy < rejected.CurrentAccuracy - rejected.Tolerance,
            $"candidate {rejected.CandidateAccuracy:F4} against current {rejected.CurrentAccuracy:F4}");

        var registry = await coordinator.Registry.ListAsync(CancellationToken.None);
        Assert.Equal(current.Version, (await coordinator.Registry.GetCurrentAsync(CancellationToken.None))!.Version);
        var record = registry.Single(r => r.Version == rejected.CandidateVersion);
        Assert.Equal(ModelStatus.Rejected, record.Status);
        Assert.Equal(current.Version, record.ParentVersion);
        Assert.Equal(inverted.Count, record.LabelCount);
        Assert.Contains("below the current", record.Reason);

        // The production table mirrors the file registry.
        var table = await new PostgresModelRegistry(TestSupport.PostgresConnectionString()).ListAsync(CancellationToken.None);
        Assert.Equal(ModelStatus.Rejected, table.Single(r => r.Version == rejected.CandidateVersion).Status);
        Assert.Equal(current.Version, (await new PostgresModelRegistry(TestSupport.PostgresConnectionString()).GetCurrentAsync(CancellationToken.None))!.Version);
    }
}
