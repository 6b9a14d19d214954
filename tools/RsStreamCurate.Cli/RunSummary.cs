using System.Text.Json;
using System.Text.Json.Serialization;
using RsStreamCurate.Contracts;
using Spectre.Console;

namespace RsStreamCurate.Cli;

/// <summary>Counts of one pipeline run, as printed at the end and written by <c>--summary-json</c>.</summary>
public sealed record RunSummary
{
    public long CandidatesIn { get; init; }
    public long Scored { get; init; }
    public long DeadLettered { get; init; }
    public long CuratedOut { get; init; }
    public double Seconds { get; init; }
    public IReadOnlyDictionary<string, long> DeadLettersByReason { get; init; } = new Dictionary<string, long>();
    public IReadOnlyList<WindowSummary> Windows { get; init; } = [];

    /// <summary>Candidates that went through synthesis, scoring and curation per second of wall time.</summary>
    public double CandidatesPerSecond => Seconds > 0 ? CandidatesIn / Seconds : 0;

    public static WindowSummary Describe(CuratedWindow window) =>
        new(window.WindowId, window.ModelVersion, window.Size, window.Kept, window.Threshold, window.CloseReason);

    /// <summary>Writes the summary as indented snake_case JSON.</summary>
    public void WriteJson(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, JsonSerializer.Serialize(this, SummaryJsonContext.Default.RunSummary));
    }

    /// <summary>Renders the totals and the per-window table.</summary>
    public void Render(IAnsiConsole console)
    {
        var totals = new Table().Title("Run summary").AddColumn("stage").AddColumn(new TableColumn("count").RightAligned());
        totals.AddRow("candidates in", CandidatesIn.ToString("N0"));
        totals.AddRow("scored", Scored.ToString("N0"));
        totals.AddRow("dead-lettered", DeadLettered.ToString("N0"));
        totals.AddRow("curated out", CuratedOut.ToString("N0"));
        totals.AddRow("candidates/s", CandidatesPerSecond.ToString("N1"));
        console.Write(totals);

        if (DeadLettersByReason.Count > 0)
        {
            var reasons = new Table().Title("Dead letters").AddColumn("reason").AddColumn(new TableColumn("count").RightAligned());
            foreach (var (reason, count) in DeadLettersByReason.OrderByDescending(p => p.Value))
            {
                reasons.AddRow(reason, count.ToString("N0"));
            }

            console.Write(reasons);
        }

        var windows = new Table().Title("Windows (ids shortened; --summary-json has them whole)")
            .AddColumn(new TableColumn("window").NoWrap()).AddColumn("model version").AddColumn(new TableColumn("size").RightAligned())
            .AddColumn(new TableColumn("kept").RightAligned()).AddColumn(new TableColumn("threshold").RightAligned()).AddColumn("closed by");
        foreach (var window in Windows)
        {
            windows.AddRow(
                Markup.Escape(window.WindowId.Length > 12 ? window.WindowId[..12] : window.WindowId),
                Markup.Escape(window.ModelVersion),
                window.Size.ToString("N0"),
                window.Kept.ToString("N0"),
                window.Threshold?.ToString("F4") ?? "-",
                Markup.Escape(window.CloseReason));
        }

        console.Write(windows);
    }
}

/// <summary>One closed curation window in a <see cref="RunSummary"/>.</summary>
public sealed record WindowSummary(string WindowId, string ModelVersion, int Size, int Kept, double? Threshold, string CloseReason);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(RunSummary))]
internal sealed partial class SummaryJsonContext : JsonSerializerContext;
