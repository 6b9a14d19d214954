#:project ../../services/RsStreamCurate.Scoring/RsStreamCurate.Scoring.csproj
#:property PublishAot=false
// Measures scoring throughput at batch 64: dotnet run tools/model/bench-scoring.cs -- CHECKPOINT_DIR MANIFEST
// A cold batch has 64 images that are not in the cache, so each one is decoded and encoded.
// A warm batch scores the same images again from the cache, so only the text tower and the head run.
using System.Diagnostics;
using System.Text.Json;
using RsStreamCurate.Scoring;

if (args.Length < 2)
{
    Console.Error.WriteLine("Usage: dotnet run tools/model/bench-scoring.cs -- CHECKPOINT_DIR MANIFEST");
    return 2;
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

double cold = Measure();
double warm = Measure();
Console.WriteLine($"model {scorer.ModelVersion}, {batches} batches of {BatchSize}: cold cache {cold:F0} pairs/s, warm cache {warm:F0} pairs/s ({TorchRuntime.Describe()})");
return 0;
