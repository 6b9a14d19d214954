using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Cli;
using RsStreamCurate.Contracts;
using RsStreamCurate.Curation;
using RsStreamCurate.Kafka;
using RsStreamCurate.Scoring;
using RsStreamCurate.Synthesis;

namespace RsStreamCurate.IntegrationTests;

/// <summary>Swaps the reward model of a running scorer and checks what reaches rs.scored and the curator.</summary>
public sealed class HotSwapTests
{
    [Fact]
    public async Task Swap_mid_stream_scores_each_candidate_once()
    {
        using var temp = new TestSupport.TemporaryDirectory();
        string shipped = TestSupport.ShippedModelVersion;
        const string Next = "reward-next";
        string nextCheckpoint = CopyCheckpointAs(BundledAssets.DefaultCheckpoint, Path.Combine(temp.Path, Next), Next);
        var defaults = new Dictionary<string, string?>
        {
            ["Scoring:Checkpoint"] = BundledAssets.DefaultCheckpoint,
            ["Scoring:ImageRoot"] = Path.GetDirectoryName(BundledAssets.SampleManifest),
            ["Scoring:BatchSize"] = "16",
            ["Kafka:ConsumeBatchSize"] = "32",
            ["Curation:OutputDirectory"] = Path.Combine(temp.Path, "curated"),
            ["Curation:WindowSize"] = "10000",
        };
        using var host = PipelineHost.Build(PipelineStages.Scoring | PipelineStages.Curation, defaults, new Dictionary<string, string?>(), null, LogLevel.Warning);
        var connection = host.Services.GetRequiredService<KafkaConnection>();
        var scoring = host.Services.GetRequiredService<ScoringWorker>();
        var holder = host.Services.GetRequiredService<RewardScorerHolder>();
        var windows = new ConcurrentQueue<CuratedWindow>();
        var curation = host.Services.GetRequiredService<CurationWorker>();
        curation.WindowCompleted += windows.Enqueue;
        await host.StartAsync();

        var candidates = new CandidateFeed(new SynthesisOptions { Manifest = BundledAssets.SampleManifest }, TimeProvider.System)
            .Enumerate(CancellationToken.None)
            .Select(item => item.Candidate!)
            .ToList();
        using (var producer = connection.CreateProducer("test"))
        {
            foreach (var candidate in candidates)
            {
                producer.Produce(Topics.Candidates, new Message<string?, byte[]> { Key = candidate.ImageId, Value = MessageCodec.Encode(candidate) });
            }

            producer.Flush(TimeSpan.FromSeconds(10));
        }

        // Swap once part of the stream is scored, while the rest is still being consumed.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (scoring.Scored < candidates.Count / 4 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        long scoredBeforeSwap = scoring.Scored;
        string active = await Task.Run(() => holder.Activate(nextCheckpoint));
        while ((scoring.Scored < candidates.Count || curation.Consumed < candidates.Count) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        await host.StopAsync();
        var scored = TopicReader.ReadAll(connection, Topics.Scored, TimeSpan.FromSeconds(10)).Select(p => MessageCodec.DecodeScored(p)).ToList();

        Assert.Equal(Next, active);
        Assert.True(scoredBeforeSwap < candidates.Count, "everything was scored before the swap, so the test proves nothing");
        Assert.Equal(candidates.Count, scored.Count);
        Assert.Equal(candidates.Select(c => c.CandidateId).Order(StringComparer.Ordinal), scored.Select(s => s.Candidate.CandidateId).Order(StringComparer.Ordinal));
        Assert.Contains(scored, s => s.ModelVersion == shipped);
        Assert.Contains(scored, s => s.ModelVersion == Next);
        Assert.Equal(Next, holder.ModelVersion);

        // An image's candidates share one partition and TopicReader keeps partition order, so per image the
        // version changes at most once: no score of the shipped model follows one of the next model.
        foreach (var image in scored.GroupBy(s => s.Candidate.ImageId))
        {
            var versions = image.Select(s => s.ModelVersion).ToList();
            int firstNext = versions.IndexOf(Next);
            Assert.True(firstNext < 0 || versions.Skip(firstNext).All(v => v == Next), $"image {image.Key} has a score of the shipped model after one of the next model: {string.Join(",", versions)}");
        }

        var windowList = windows.ToList();
        Assert.All(windowList, w => Assert.True(w.Size > 0));
        Assert.Contains(windowList, w => w.CloseReason == "model_version" && w.ModelVersion == shipped);
        Assert.Contains(windowList, w => w.ModelVersion == Next);
        Assert.Equal(candidates.Count, windowList.Sum(w => w.Size));
    }

    internal static string CopyCheckpointAs(string source, string target, string version)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        var metadataPath = Path.Combine(target, "metadata.json");
        var metadata = JsonNode.Parse(File.ReadAllText(metadataPath))!.AsObject();
        string key = metadata.ContainsKey("model_version") ? "model_version" : "ModelVersion";
        metadata[key] = version;
        File.WriteAllText(metadataPath, metadata.ToJsonString());
        return target;
    }
}
