using System.Text.Json;
using System.Text.Json.Serialization;

namespace RsStreamCurate.Training.Experiments;

/// <summary>Mean and sample standard deviation (n - 1 in the denominator) of one metric over seeds, with the values per seed.</summary>
public sealed record MetricSummary(double Mean, double StandardDeviation, IReadOnlyList<double> PerSeed)
{
    /// <summary>Summarises the values of the seeds; the standard deviation of a single value is 0.</summary>
    public static MetricSummary Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            throw new ArgumentException("At least one value is needed.", nameof(values));
        }

        double mean = values.Average();
        double variance = values.Count > 1 ? values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1) : 0;
        return new MetricSummary(mean, Math.Sqrt(variance), values.ToArray());
    }
}

/// <summary>What training on one selection of the pool gave, over all seeds.</summary>
public sealed record SelectionResult
{
    public required string Name { get; init; }

    public required SelectionRanking Ranking { get; init; }

    public required double Fraction { get; init; }

    /// <summary>Image-caption pairs in the selection.</summary>
    public required int Pairs { get; init; }

    /// <summary>Distinct pool images that have at least one selected caption (of the first seed for the random selection).</summary>
    public required int Images { get; init; }

    /// <summary>Share of the selected captions that are human-written (of the first seed for the random selection).</summary>
    public required double HumanFraction { get; init; }

    /// <summary>Share of the selected captions that carry a synthetic defect (of the first seed for the random selection).</summary>
    public required double DefectFraction { get; init; }

    public required MetricSummary ClassificationAccuracy { get; init; }

    public required MetricSummary ImageToTextR1 { get; init; }

    public required MetricSummary ImageToTextR5 { get; init; }

    public required MetricSummary TextToImageR1 { get; init; }

    public required MetricSummary TextToImageR5 { get; init; }

    /// <summary>Mean InfoNCE loss of the last tenth of the training steps.</summary>
    public required MetricSummary FinalLoss { get; init; }
}

/// <summary>The result of <see cref="CurationExperiment.Run"/>.</summary>
public sealed record CurationExperimentReport
{
    /// <summary>Model version of the checkpoint that scored the pool.</summary>
    public required string ScorerModelVersion { get; init; }

    /// <summary>How the pool is ranked: <c>global</c>, over the whole pool at once.</summary>
    public required string Ranking { get; init; }

    public required int PoolImages { get; init; }

    public required int PoolCandidates { get; init; }

    /// <summary>Candidates per generator in the pool: human, rule.label and synthetic.&lt;defect&gt;.</summary>
    public required IReadOnlyDictionary<string, int> PoolByGenerator { get; init; }

    public required int HeldOutImages { get; init; }

    /// <summary>Distinct human captions of the held-out images: the retrieval gallery.</summary>
    public required int HeldOutCaptions { get; init; }

    /// <summary>Classes of zero-shot classification.</summary>
    public required int Classes { get; init; }

    public required IReadOnlyList<int> Seeds { get; init; }

    public required int Steps { get; init; }

    public required int BatchSize { get; init; }

    public required long EncoderParameters { get; init; }

    public required int VocabularySize { get; init; }

    public required int TorchThreads { get; init; }

    public required double Seconds { get; init; }

    public required IReadOnlyList<SelectionResult> Selections { get; init; }

    /// <summary>Best-of-N picks on the held-out images and on the training pool.</summary>
    public required IReadOnlyList<BestOfNResult> BestOfN { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes the report as indented JSON with snake_case names, creating the folder if needed.</summary>
    public void WriteJson(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        File.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions));
    }
}
