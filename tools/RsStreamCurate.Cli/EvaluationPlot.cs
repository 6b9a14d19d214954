using RsStreamCurate.Training;
using ScottPlot;

namespace RsStreamCurate.Cli;

/// <summary>Draws the held-out score distributions of an evaluation as a PNG with ScottPlot.</summary>
public static class EvaluationPlot
{
    private const int BinCount = 40;

    /// <summary>
    /// Writes two stacked histograms to <paramref name="path"/>: chosen against rejected scores of the learned reward,
    /// and the same for the CLIP-score. Better separation of the two colours means a better scorer.
    /// </summary>
    public static void Save(EvaluationReport report, string path, int width = 900, int height = 700)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.Scores.Count == 0)
        {
            throw new InvalidOperationException("The evaluation has no scored pairs to plot.");
        }

        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        var learned = multiplot.Subplots.GetPlot(0);
        var clip = multiplot.Subplots.GetPlot(1);
        var accuracy = report.Metrics.Overall;
        AddHistograms(learned, report.Scores.Select(s => s.ChosenScore).ToList(), report.Scores.Select(s => s.RejectedScore).ToList());
        learned.Title($"Learned reward ({report.ModelVersion}): pair accuracy {accuracy.Learned:P1}");
        learned.XLabel("reward");

        AddHistograms(clip, report.Scores.Select(s => s.ChosenClipScore).ToList(), report.Scores.Select(s => s.RejectedClipScore).ToList());
        clip.Title($"CLIP-score (cosine, same encoder): pair accuracy {accuracy.ClipScore:P1}");
        clip.XLabel("cosine similarity");

        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        multiplot.SavePng(path, width, height);
    }

    private static void AddHistograms(Plot plot, List<double> chosen, List<double> rejected)
    {
        double min = Math.Min(chosen.Min(), rejected.Min());
        double max = Math.Max(chosen.Max(), rejected.Max());
        if (max <= min)
        {
            max = min + 1;
        }

        var chosenHistogram = ScottPlot.Statistics.Histogram.WithBinCount(BinCount, min, max);
        chosenHistogram.AddRange(chosen);
        var rejectedHistogram = ScottPlot.Statistics.Histogram.WithBinCount(BinCount, min, max);
        rejectedHistogram.AddRange(rejected);

        var chosenColor = Colors.SeaGreen.WithAlpha(0.6);
        var rejectedColor = Colors.OrangeRed.WithAlpha(0.6);
        plot.Add.Histogram(chosenHistogram, chosenColor);
        plot.Add.Histogram(rejectedHistogram, rejectedColor);
        plot.YLabel("captions");
        plot.ShowLegend(
            [
                new LegendItem { LabelText = $"chosen (human caption), n = {chosen.Count}", FillColor = chosenColor },
                new LegendItem { LabelText = $"rejected (defect or other-label caption), n = {rejected.Count}", FillColor = rejectedColor },
            ],
            Alignment.UpperLeft);
    }
}
