using System.Text.Json;
using RsStreamCurate.Cli;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RsStreamCurate.IntegrationTests;

/// <summary>
/// Runs <c>eval</c>, <c>experiment</c> and <c>score</c> through the real command line on the shipped sample and checks
/// the files they write and their exit codes.
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly TestSupport.TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Eval_writes_summary_and_plot()
    {
        string plot = Path.Combine(_directory.Path, "plots", "eval.png");
        string summary = Path.Combine(_directory.Path, "eval.json");

        int exitCode = await RunAsync(
            "eval", "--manifest", BundledAssets.SampleManifest, "--checkpoint", BundledAssets.DefaultCheckpoint,
            "--plot", plot, "--summary-json", summary);

        Assert.Equal(0, exitCode);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(summary));
        var metrics = json.RootElement.GetProperty("metrics");
        Assert.True(metrics.GetProperty("overall").GetProperty("pairs").GetInt32() > 0);
        var dimensions = metrics.GetProperty("by_dimension").EnumerateObject().ToList();
        Assert.Equal(
            new[] { "clarity", "completeness", "relevance", "richness", "specificity" },
            dimensions.Select(d => d.Name).Order(StringComparer.Ordinal));
        foreach (var dimension in dimensions)
        {
            Assert.True(dimension.Value.GetProperty("pairs").GetInt32() > 0, $"Dimension {dimension.Name} has no pairs.");
            Assert.InRange(dimension.Value.GetProperty("learned").GetDouble(), 0.0, 1.0);
            Assert.InRange(dimension.Value.GetProperty("clip_score").GetDouble(), 0.0, 1.0);
        }

        AssertPlotHasContent(plot, expectedWidth: 900, expectedHeight: 700);
    }

    [Fact]
    public async Task Experiment_writes_summary_and_plot()
    {
        // The experiment rejects manifests that share images, so the sample is split by its RSICD split field.
        var lines = await File.ReadAllLinesAsync(BundledAssets.SampleManifest);
        static bool IsTest(string line) =>
            JsonDocument.Parse(line).RootElement.TryGetProperty("rsicd_official_split", out var split) && split.GetString() == "test";
        string trainManifest = Path.Combine(_directory.Path, "train.jsonl");
        string evalManifest = Path.Combine(_directory.Path, "eval.jsonl");
        await File.WriteAllLinesAsync(trainManifest, lines.Where(line => !string.IsNullOrWhiteSpace(line) && !IsTest(line)));
        await File.WriteAllLinesAsync(evalManifest, lines.Where(line => !string.IsNullOrWhiteSpace(line) && IsTest(line)));
        string plot = Path.Combine(_directory.Path, "experiment.png");
        string summary = Path.Combine(_directory.Path, "experiment.json");

        int exitCode = await RunAsync(
            "experiment", "--train-manifest", trainManifest, "--eval-manifest", evalManifest,
            "--image-root", Path.GetDirectoryName(BundledAssets.SampleManifest)!, "--checkpoint", BundledAssets.DefaultCheckpoint,
            "--seeds", "2", "--steps", "3", "--batch-size", "8", "--max-images", "40",
            "--out", _directory.Path, "--plot", plot, "--summary-json", summary);

        Assert.Equal(0, exitCode);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(summary));
        var selections = json.RootElement.GetProperty("selections").EnumerateArray().ToList();
        Assert.True(selections.Count >= 4, $"Expected at least the all, random, CLIP-score and scorer selections; got {selections.Count}.");
        foreach (var selection in selections)
        {
            var accuracy = selection.GetProperty("classification_accuracy");
            Assert.InRange(accuracy.GetProperty("mean").GetDouble(), 0.0, 1.0);
            Assert.True(accuracy.GetProperty("standard_deviation").GetDouble() >= 0);
            Assert.Equal(2, accuracy.GetProperty("per_seed").GetArrayLength());
        }

        AssertPlotHasContent(plot, expectedWidth: null, expectedHeight: null);
    }

    [Fact]
    public async Task Score_writes_rows_and_errors()
    {
        string input = Path.Combine(_directory.Path, "pairs.jsonl");
        string output = Path.Combine(_directory.Path, "scores.jsonl");
        await File.WriteAllLinesAsync(input,
        [
            """{"image": "images/airport_8.jpg", "text": "some planes are parked in an airport"}""",
            """{"image": "images/missing.jpg", "text": "a beach"}""",
        ]);

        int exitCode = await RunAsync("score", "--input", input, "--output", output, "--image-root", Path.GetDirectoryName(BundledAssets.SampleManifest)!);

        Assert.Equal(0, exitCode);
        var rows = (await File.ReadAllLinesAsync(output)).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(2, rows.Count);
        Assert.True(rows[0].TryGetProperty("score", out _), $"Row 0 has no score: {rows[0]}");
        Assert.True(rows[1].TryGetProperty("error", out _), $"Row 1 has no error: {rows[1]}");
    }

    [Fact]
    public async Task Score_fails_when_nothing_scored()
    {
        string input = Path.Combine(_directory.Path, "missing.jsonl");
        await File.WriteAllLinesAsync(input, ["""{"image": "images/missing.jpg", "text": "a beach"}"""]);

        int exitCode = await RunAsync("score", "--input", input, "--output", Path.Combine(_directory.Path, "out.jsonl"),
            "--image-root", Path.GetDirectoryName(BundledAssets.SampleManifest)!);

        Assert.Equal(1, exitCode);
    }

    private static Task<int> RunAsync(params string[] args) => CommandLine.Build().Parse(args).InvokeAsync();

    // A chart has axes, anti-aliased text and coloured bars, so it has many distinct colours and a blank canvas fails.
    private static void AssertPlotHasContent(string path, int? expectedWidth, int? expectedHeight)
    {
        Assert.True(File.Exists(path), $"The plot {path} was not written.");
        using var image = Image.Load<Rgba32>(path);
        if (expectedWidth is { } width)
        {
            Assert.Equal(width, image.Width);
        }

        if (expectedHeight is { } height)
        {
            Assert.Equal(height, image.Height);
        }

        var colours = new HashSet<Rgba32>();
        image.ProcessPixelRows(accessor =>
        {
            for (int y = 0; y < accessor.Height; y += 3)
            {
                foreach (var pixel in accessor.GetRowSpan(y))
                {
                    colours.Add(pixel);
                }
            }
        });
        Assert.True(colours.Count >= 20, $"The plot {path} has only {colours.Count} distinct colours; it looks empty.");
    }
}
