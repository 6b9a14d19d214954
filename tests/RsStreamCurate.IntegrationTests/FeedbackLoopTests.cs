using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Cli;
using RsStreamCurate.Contracts;
using RsStreamCurate.Curation;
using RsStreamCurate.Kafka;
using RsStreamCurate.Scoring;
using RsStreamCurate.Scoring.Registry;
using RsStreamCurate.Synthesis;
using Xunit.Abstractions;

namespace RsStreamCurate.IntegrationTests;

/// <summary>
/// The whole loop in one process: labels posted over HTTP trigger a retrain, the new model is published and swapped
/// into the running scorer, and later windows carry the new version.
/// </summary>
public sealed class FeedbackLoopTests(ITestOutputHelper output)
{
    private const string ApiKey = "loop-test-key-0123456789";

    [Fact]
    public async Task Labels_retrain_and_swap_model()
    {
        using var temp = new TestSupport.TemporaryDirectory();
        string manifest = BundledAssets.SampleManifest;
        string baseVersion = RewardCheckpoint.ReadMetadata(BundledAssets.DefaultCheckpoint).ModelVersion;
        int port = TestSupport.FreePort();
        var labels = VagueLabels(manifest, 48);
        var settings = new Dictionary<string, string?>
        {
            ["Synthesis:Manifest"] = manifest,
            ["Synthesis:Loop"] = "true",
            ["Synthesis:MaxCandidatesPerSecond"] = "150",
            ["Scoring:Checkpoint"] = BundledAssets.DefaultCheckpoint,
            ["Scoring:ImageRoot"] = Path.GetDirectoryName(manifest),
            ["Curation:OutputDirectory"] = Path.Combine(temp.Path, "curated"),
            ["Curation:WindowSize"] = "150",
            ["Feedback:ApiKeys:alice"] = ApiKey,
            ["Feedback:DataDirectory"] = Path.Combine(temp.Path, "labels"),
            ["Feedback:ImageRoot"] = Path.GetDirectoryName(manifest),
            ["Retrain:LabelThreshold"] = labels.Count.ToString(),
            ["Retrain:InitialModelVersion"] = baseVersion,
            ["Trainer:Manifest"] = manifest,
            ["Trainer:RegistryDirectory"] = Path.Combine(temp.Path, "models"),
            ["Trainer:InitialCheckpoint"] = BundledAssets.DefaultCheckpoint,
            ["Trainer:LabelDirectory"] = Path.Combine(temp.Path, "labels"),
            ["Trainer:Epochs"] = "4",
        };

        await using var app = LoopHost.Build($"http://127.0.0.1:{port}", settings, null, LogLevel.Warning);
        var holder = app.Services.GetRequiredService<RewardScorerHolder>();
        var windows = new ConcurrentQueue<CuratedWindow>();
        app.Services.GetRequiredService<CurationWorker>().WindowCompleted += windows.Enqueue;
        await app.StartAsync();

        // The host is always stopped before it is disposed: Kafka clients must close before the embedded broker goes.
        var connection = app.Services.GetRequiredService<KafkaConnection>();
        TimeSpan labelToModel;
        string newVersion;
        try
        {
            await WaitUntilAsync(() => windows.Count >= 2, TimeSpan.FromMinutes(2), "two windows of the base model");
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
            foreach (var chunk in labels.Chunk(16))
            {
                var response = await client.PostAsJsonAsync("/v1/preferences", chunk.Select(l => new
                {
                    image_id = l.ImageId,
                    chosen_text = l.Chosen,
                    rejected_text = l.Rejected,
                    dimension = "richness",
                }));
                Assert.True(response.IsSuccessStatusCode, $"POST /v1/preferences returned {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            var labelled = Stopwatch.StartNew();
            await WaitUntilAsync(() => holder.ModelVersion != baseVersion, TimeSpan.FromMinutes(6), "the retrained model to be swapped in");
            labelToModel = labelled.Elapsed;
            newVersion = holder.ModelVersion;
            await WaitUntilAsync(() => windows.Count(w => w.ModelVersion == newVersion) >= 2, TimeSpan.FromMinutes(2), "two windows of the new model");
        }
        finally
        {
            await app.StopAsync();
        }

        var scored = TopicReader.ReadAll(connection, Topics.Scored, TimeSpan.FromSeconds(20)).Select(p => MessageCodec.DecodeScored(p)).ToList();
        var registry = await new FileModelRegistry(Path.Combine(temp.Path, "models")).ListAsync(CancellationToken.None);
        double before = VaguePercentile(scored, baseVersion);
        double after = VaguePercentile(scored, newVersion);
        output.WriteLine($"label-to-new-model time {labelToModel.TotalSeconds:F1} s; vague percentile {before:F3} under {baseVersion}, {after:F3} under {newVersion}");

        Assert.Equal(baseVersion, registry[0].Version);
        Assert.Equal(ModelStatus.Published, registry.Single(r => r.Version == newVersion).Status);
        Assert.Equal(baseVersion, registry.Single(r => r.Version == newVersion).ParentVersion);
        Assert.All(windows, w => Assert.True(w.ModelVersion == baseVersion || w.ModelVersion == newVersion, w.ModelVersion));
        Assert.Contains(windows, w => w.ModelVersion == baseVersion && w.CloseReason == "model_version");

        // The vague percentiles above are printed for the benchmark page only. Each version scores a different part of the
        // looping stream, and the shipped model already ranks vague captions low, so their difference is noise (-0.09 to
        // +0.01 in five runs). The labels are the pairs the base model ranks worst, so the retrained model must get clearly
        // more of them right.
        string newCheckpoint = registry.Single(r => r.Version == newVersion).CheckpointPath;
        double baseAccuracy = LabelAccuracy(BundledAssets.DefaultCheckpoint, manifest, labels);
        double newAccuracy = LabelAccuracy(newCheckpoint, manifest, labels);
        output.WriteLine($"labelled pairs ranked correctly: {baseAccuracy:P1} under {baseVersion}, {newAccuracy:P1} under {newVersion}");
        Assert.True(newAccuracy >= baseAccuracy + 0.15, $"{newVersion} ranks {newAccuracy:P1} of the labelled pairs correctly and {baseVersion} {baseAccuracy:P1}; the labels should have moved the model");
        Assert.True(newAccuracy >= 0.9, $"{newVersion} ranks only {newAccuracy:P1} of the pairs it was trained on correctly");
    }

    /// <summary>Returns the share of labelled pairs whose chosen caption the checkpoint scores higher.</summary>
    private static double LabelAccuracy(string checkpoint, string manifest, List<(string ImageId, string Chosen, string Rejected)> labels)
    {
        var paths = ManifestReader.Read(manifest).ToDictionary(entry => entry.ImageId, entry => entry.ImagePath, StringComparer.Ordinal);
        using var scorer = RewardScorer.Open(checkpoint, new ImageLoaderOptions { ImageRoot = Path.GetDirectoryName(manifest)! }, new ImageEmbeddingCache(1000));
        var chosen = scorer.ScoreBatch(labels.Select(l => new ScoringRequest(paths[l.ImageId], l.Chosen)).ToList());
        var rejected = scorer.ScoreBatch(labels.Select(l => new ScoringRequest(paths[l.ImageId], l.Rejected)).ToList());
        return labels.Select((_, i) => chosen[i].Score > rejected[i].Score ? 1.0 : 0.0).Average();
    }

    /// <summary>Human captions preferred over their vague variants, the kind of label a labeller gives; pairs the base model gets wrong come first.</summary>
    private static List<(string ImageId, string Chosen, string Rejected)> VagueLabels(string manifest, int count)
    {
        var random = new Random(5);
        var pairs = new List<(string ImageId, string ImagePath, string Chosen, string Rejected)>();
        foreach (var entry in ManifestReader.Read(manifest))
        {
            foreach (var caption in CaptionSynthesizer.DistinctHumanCaptions(entry.Captions))
            {
                if (CaptionDefects.TryApply(DefectKind.Vague, caption, entry.Label, random, out var vague))
                {
                    pairs.Add((entry.ImageId, entry.ImagePath, caption, vague));
                }
            }
        }

        using var scorer = RewardScorer.Open(BundledAssets.DefaultCheckpoint, new ImageLoaderOptions { ImageRoot = Path.GetDirectoryName(manifest)! }, new ImageEmbeddingCache(1000));
        var chosen = scorer.ScoreBatch(pairs.Select(p => new ScoringRequest(p.ImagePath, p.Chosen)).ToList());
        var rejected = scorer.ScoreBatch(pairs.Select(p => new ScoringRequest(p.ImagePath, p.Rejected)).ToList());
        return pairs
            .Select((p, i) => (Pair: p, Margin: chosen[i].Score!.Value - rejected[i].Score!.Value))
            .OrderBy(p => p.Margin)
            .Take(count)
            .Select(p => (p.Pair.ImageId, p.Pair.Chosen, p.Pair.Rejected))
            .ToList();
    }

    /// <summary>Mean percentile of vague candidates among all candidates scored by one version (0 = lowest score).</summary>
    private static double VaguePercentile(List<ScoredCandidate> scored, string version)
    {
        var scores = scored.Where(s => s.ModelVersion == version).Select(s => (s.Score, Vague: s.Candidate.Defect == "vague")).OrderBy(s => s.Score).ToList();
        Assert.True(scores.Count(s => s.Vague) >= 5, $"only {scores.Count(s => s.Vague)} vague candidates were scored by {version}");
        return scores.Select((s, rank) => (s.Vague, Percentile: (double)rank / (scores.Count - 1))).Where(s => s.Vague).Average(s => s.Percentile);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out after {timeout.TotalSeconds:F0} s waiting for {what}");
            await Task.Delay(250);
        }
    }
}
