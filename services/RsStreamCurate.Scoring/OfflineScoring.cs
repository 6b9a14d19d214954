using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Contracts;

namespace RsStreamCurate.Scoring;

/// <summary>Settings of <see cref="OfflineScoring.Run"/>.</summary>
public sealed record OfflineScoringOptions
{
    /// <summary>JSONL file with one object per line: <c>{"image": path relative to ImageRoot, "text": caption}</c>.</summary>
    public required string InputPath { get; init; }

    /// <summary>JSONL file to write, one row per input line in the same order.</summary>
    public required string OutputPath { get; init; }

    public required string CheckpointDirectory { get; init; }

    public required string ImageRoot { get; init; }

    /// <summary>Requests scored per batch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Image embeddings kept in memory.</summary>
    public int CacheCapacity { get; init; } = 10_000;
}

/// <summary>Counts from one offline scoring run.</summary>
public sealed record OfflineScoringSummary(string ModelVersion, int Rows, int Scored, int Failed, double Seconds);

/// <summary>Scores a JSONL file of (image, text) rows with a checkpoint, without Kafka.</summary>
public static class OfflineScoring
{
    // Failed rows logged one by one; the rest are only counted, because every failure is also in the output file.
    private const int MaxLoggedFailures = 20;

    /// <summary>
    /// Reads every non-blank input line and writes one output row for it, in order: the input fields plus
    /// <c>score</c>, <c>clip_score</c> and <c>model_version</c>, or <c>error</c> and <c>reason</c> when the line
    /// cannot be parsed or scored. <c>line</c> is the 1-based input line number.
    /// </summary>
    public static OfflineScoringSummary Run(OfflineScoringOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);

        var started = DateTime.UtcNow;
        using var scorer = RewardScorer.Open(
            options.CheckpointDirectory,
            new ImageLoaderOptions { ImageRoot = options.ImageRoot },
            new ImageEmbeddingCache(options.CacheCapacity));
        logger.LogInformation("Scoring {InputPath} with model {ModelVersion} into {OutputPath}", options.InputPath, scorer.ModelVersion, options.OutputPath);

        var outputDirectory = Path.GetDirectoryName(Path.GetFullPath(options.OutputPath));
        if (outputDirectory is not null)
        {
            Directory.CreateDirectory(outputDirectory);
        }

        using var writer = new StreamWriter(options.OutputPath, append: false, new UTF8Encoding(false));
        var batch = new List<PendingRow>(options.BatchSize);
        int rows = 0, scored = 0, failed = 0, lineNumber = 0;

        foreach (var line in File.ReadLines(options.InputPath))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            rows++;
            batch.Add(ParseRow(line, lineNumber));
            if (batch.Count == options.BatchSize)
            {
                (int ok, int bad) = ScoreAndWrite(scorer, batch, writer, logger, failed);
                scored += ok;
                failed += bad;
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            (int ok, int bad) = ScoreAndWrite(scorer, batch, writer, logger, failed);
            scored += ok;
            failed += bad;
        }

        var seconds = (DateTime.UtcNow - started).TotalSeconds;
        logger.LogInformation("Scored {Scored} of {Rows} rows with model {ModelVersion} in {Seconds:F1} s; rows with an error: {Failed} (up to {MaxLoggedFailures} are logged above)",
            scored, rows, scorer.ModelVersion, seconds, failed, MaxLoggedFailures);
        return new OfflineScoringSummary(scorer.ModelVersion, rows, scored, failed, seconds);
    }

    private sealed record PendingRow(int LineNumber, JsonObject Output, ScoringRequest? Request);

    private static PendingRow ParseRow(string line, int lineNumber)
    {
        JsonObject? input = null;
        string? error = null;
        try
        {
            input = JsonNode.Parse(line) as JsonObject;
            error = input is null ? "the line is not a JSON object" : null;
        }
        catch (JsonException ex)
        {
            error = $"the line is not valid JSON ({ex.Message})";
        }

        var output = input is null ? new JsonObject() : (JsonObject)input.DeepClone();
        output["line"] = lineNumber;
        if (error is not null)
        {
            output["error"] = $"Line {lineNumber}: {error}; write one object per line with \"image\" and \"text\".";
            output["reason"] = DeadLetterReasons.UnparseableMessage;
            return new PendingRow(lineNumber, output, null);
        }

        var image = ReadString(input!, "image");
        var text = ReadString(input!, "text");
        if (image is null || text is null)
        {
            output["error"] = $"Line {lineNumber}: the string field \"{(image is null ? "image" : "text")}\" is missing; write one object per line with \"image\" and \"text\".";
            output["reason"] = DeadLetterReasons.MissingField;
            return new PendingRow(lineNumber, output, null);
        }

        return new PendingRow(lineNumber, output, new ScoringRequest(image, text));
    }

    private static string? ReadString(JsonObject row, string name) =>
        row.TryGetPropertyValue(name, out var node) && node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static (int Scored, int Failed) ScoreAndWrite(RewardScorer scorer, List<PendingRow> batch, StreamWriter writer, ILogger logger, int failedBefore)
    {
        var requests = batch.Where(row => row.Request is not null).Select(row => row.Request!).ToList();
        var results = scorer.ScoreBatch(requests);
        int next = 0, scored = 0, failed = 0;

        foreach (var row in batch)
        {
            row.Output["model_version"] = scorer.ModelVersion;
            if (row.Request is not null)
            {
                var result = results[next++];
                if (result.Succeeded)
                {
                    row.Output["score"] = result.Score;
                    row.Output["clip_score"] = result.ClipScore;
                }
                else
                {
                    row.Output["error"] = result.ErrorMessage;
                    row.Output["reason"] = result.ErrorReason;
                }
            }

            if (row.Output.ContainsKey("error"))
            {
                failed++;
                if (failedBefore + failed <= MaxLoggedFailures)
                {
                    logger.LogWarning("Line {LineNumber} was not scored: {Reason}: {Error}", row.LineNumber, row.Output["reason"]?.ToString(), row.Output["error"]?.ToString());
                }
            }
            else
            {
                scored++;
            }

            writer.WriteLine(row.Output.ToJsonString());
        }

        return (scored, failed);
    }
}
