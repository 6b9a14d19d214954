#:project ../../services/RsStreamCurate.Scoring/RsStreamCurate.Scoring.csproj
#:property PublishAot=false
// Measures scoring throughput at batch 64: dotnet run -c Release tools/model/bench-scoring.cs -- CHECKPOINT_DIR MANIFEST [THREADS]
// A cold batch has 64 images that are not in the cache, so each one is decoded and encoded.
// A warm batch scores the same images again from the cache, so only the text tower and the head run.
using System.Diagnostics;
using System.Text.Json;
using RsStreamCurate.Scoring;

if (args.Length < 2)
{
    Console.Error.WriteLine("Usage: dotnet run -c Release tools/model/bench-scoring.cs -- CHECKPOINT_DIR MANIFEST [THREADS]");
    return 2;
}

if (args.Length > 2)
{
    TorchSharp.torch.set_num_threads(int.Parse(args[2]));
}

const int BatchSize = 64;
var imageRoot = Path.GetDirectoryName(Path.GetFullPath(args[1]))!;
var rows = File.ReadLines(args[1])
    .Select(line => JsonDocument.Parse(line).RootElement)
    .Select(row => (Image: row.GetProperty("image").GetString()!, Caption: row.GetProperty("captions")[0].GetString()!))
    .ToList();
var requests = rows.Select(row => new ScoringRequest(row.Image, row.Caption)).ToList();
int batches = requests.Count / BatchSize;

using var scorer = RewardScorer.Open(args[0], new ImageLoaderOptions { ImageRoot = imageRoot }, new ImageEmbeddingCache(requests.Count));
scorer.ScoreBatch(requests.Take(4).ToList());
scorer.Cache.RemoveVersion(scorer.ModelVersion);

double Measure()
{
    var watch = Stopwatch.StartNew();
    for (int b = 0; b < batches; b++)
    {
        var results = scorer.ScoreBatch(requests.GetRange(b * BatchSize, BatchSize));
        if (results.Any(r => !r.Succeeded))
        {
            throw new InvalidOperationException($"Batch {b} had a failed request: {results.First(r => !r.Succeeded).ErrorMessage}");
        }
    }

    return batches * BatchSize / watch.Elapsed.TotalSeconds;
}

// The first cold pass also pays for JIT compilation of the decoders, so the best of two passes is reported.
double cold = Enumerable.Range(0, 2).Max(_ =>
{
    scorer.Cache.RemoveVersion(scorer.ModelVersion);
    return Measure();
});
double warm = Enumerable.Range(0, 3).Max(_ => Measure());
Console.WriteLine($"model {scorer.ModelVersion}, {batches} batches of {BatchSize}: cold cache {cold:F0} pairs/s, warm cache {warm:F0} pairs/s (best of 2 cold and 3 warm passes) ({TorchRuntime.Describe()})");
return 0;
