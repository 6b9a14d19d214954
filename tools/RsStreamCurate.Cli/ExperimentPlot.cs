using RsStreamCurate.Training.Experiments;
using ScottPlot;

namespace RsStreamCurate.Cli;

/// <summary>Draws the held-out metrics of every selection as grouped bars with standard-deviation error bars (ScottPlot 5).</summary>
public static class ExperimentPlot
{
    private const int Width = 1100;
    private const int Height = 520;

    /// <summary>Saves the chart as a PNG file, creating the folder if needed.</summary>
    public static void Save(CurationExperimentReport report, string path)
    {
        ArgumentNullException.ThrowIfNull(report);
        var metrics = new (string Name, Func<SelectionResult, MetricSummary> Value)[]
        {
            ("zero-shot top-1", s => s.ClassificationAccuracy),
            ("I→T R@1", s => s.ImageToTextR1),
            ("I→T R@5", s => s.ImageToTextR5),
            ("T→I R@1", s => s.TextToImageR1),
            ("T→I R@5", s => s.TextToImageR5),
        };

        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int groupWidth = report.Selections.Count + 1;
        var bars = new List<Bar>();
        for (int m = 0; m < metrics.Length; m++)
        {
            for (int s = 0; s < report.Selections.Count; s++)
            {
                var summary = metrics[m].Value(report.Selections[s]);
                bars.Add(new Bar
                {
                    Position = m * groupWidth + s,
                    Value = 100 * summary.Mean,
                    Error = 100 * summary.StandardDeviation,
                    FillColor = palette.GetColor(s),
                });
            }
        }

        plot.Add.Bars(bars);
        for (int s = 0; s < report.Selections.Count; s++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = report.Selections[s].Name, FillColor = palette.GetColor(s) });
        }

        double center = (report.Selections.Count - 1) / 2.0;
        plot.Axes.Bottom.SetTicks(
            metrics.Select((_, m) => m * groupWidth + center).ToArray(),
            metrics.Select(metric => metric.Name).ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0);
        plot.YLabel("% on held-out images (mean ± std over seeds)");
        plot.Title($"Curation experiment: {report.Steps} steps x {report.BatchSize} pairs per run, seeds {string.Join(", ", report.Seeds)}");
        plot.ShowLegend(Edge.Right);

        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        plot.SavePng(path, Width, Height);
    }
}
