using System.Globalization;
using RsStreamCurate.Scoring;
using RsStreamCurate.Synthesis;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace RsStreamCurate.Training.Experiments;

/// <summary>Zero-shot top-1 accuracy and retrieval recall of one trained dual encoder on the held-out images.</summary>
public sealed record HeldOutMetrics(
    double ClassificationAccuracy, double ImageToTextR1, double ImageToTextR5, double TextToImageR1, double TextToImageR5);

/// <summary>
/// Held-out images, class prompts and human captions as tensors, built once and used to evaluate every
/// trained encoder.
/// </summary>
internal sealed class HeldOutEvaluation : IDisposable
{
    // Rows per forward pass when encoding, to bound memory for large held-out sets.
    private const int EncodeChunkSize = 256;

    private readonly Tensor _images;
    private readonly Tensor _promptTokens;
    private readonly Tensor _captionTokens;
    private readonly int _templateCount;

    private HeldOutEvaluation(
        Tensor images, int[] labelImages, int[] labels, IReadOnlyList<string> classes, Tensor promptTokens, int templateCount,
        IReadOnlyList<string> captions, Tensor captionTokens, bool[,] relevance)
    {
        _images = images;
        LabelledImages = labelImages;
        Labels = labels;
        Classes = classes;
        _promptTokens = promptTokens;
        _templateCount = templateCount;
        Captions = captions;
        _captionTokens = captionTokens;
        Relevance = relevance;
    }

    /// <summary>Class labels of zero-shot classification, in ordinal order.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Indices of the held-out images that have a label; only they are classified.</summary>
    public int[] LabelledImages { get; }

    /// <summary>Class index of each image in <see cref="LabelledImages"/>.</summary>
    public int[] Labels { get; }

    /// <summary>Distinct human captions of the held-out images, the retrieval gallery.</summary>
    public IReadOnlyList<string> Captions { get; }

    /// <summary>(images, captions): true where the image has that caption among its human captions.</summary>
    public bool[,] Relevance { get; }

    public int ImageCount => (int)_images.shape[0];

    /// <summary>
    /// Builds the evaluation set. <paramref name="images"/> are the preprocessed held-out images (N, 3, S, S) of
    /// <paramref name="entries"/>; <paramref name="classes"/> are the labels to classify among.
    /// </summary>
    public static HeldOutEvaluation Build(
        IReadOnlyList<ManifestEntry> entries, Tensor images, IReadOnlyList<string> classes,
        IReadOnlyList<string> templates, CaptionTokenizer tokenizer)
    {
        var classIndex = classes.Select((label, i) => (label, i)).ToDictionary(x => x.label, x => x.i, StringComparer.Ordinal);
        var labelled = new List<int>();
        var labels = new List<int>();
        for (int n = 0; n < entries.Count; n++)
        {
            if (entries[n].Label is { Length: > 0 } label && classIndex.TryGetValue(label, out int index))
            {
                labelled.Add(n);
                labels.Add(index);
            }
        }

        var prompts = classes
            .SelectMany(label => templates.Select(template => string.Format(CultureInfo.InvariantCulture, template, SceneVocabulary.ScenePhrase(label))))
            .ToList();

        var captions = entries.SelectMany(e => CaptionSynthesizer.DistinctHumanCaptions(e.Captions)).Distinct(StringComparer.Ordinal).ToList();
        var captionIndex = captions.Select((text, i) => (text, i)).ToDictionary(x => x.text, x => x.i, StringComparer.Ordinal);
        var relevance = new bool[entries.Count, captions.Count];
        for (int n = 0; n < entries.Count; n++)
        {
            foreach (var caption in CaptionSynthesizer.DistinctHumanCaptions(entries[n].Captions))
            {
                relevance[n, captionIndex[caption]] = true;
            }
        }

        return new HeldOutEvaluation(
            images, [.. labelled], [.. labels], classes, Tokenize(tokenizer, prompts), templates.Count,
            captions, Tokenize(tokenizer, captions), relevance);
    }

    /// <summary>Evaluates a trained model (switched to evaluation mode) on the held-out set.</summary>
    public HeldOutMetrics Evaluate(RewardModel model)
    {
        model.eval();
        using var noGrad = torch.no_grad();
        var imageEmbeddings = Encode(model.EncodeImages, _images);
        var captionEmbeddings = Encode(model.EncodeTexts, _captionTokens);
        var classEmbeddings = EncodeClasses(model);

        double accuracy = double.NaN;
        if (LabelledImages.Length > 0)
        {
            var labelledEmbeddings = LabelledImages.Select(n => imageEmbeddings[n]).ToArray();
            accuracy = RetrievalMetrics.ZeroShotAccuracy(RetrievalMetrics.DotProducts(labelledEmbeddings, classEmbeddings), Labels);
        }

        var imageToText = RetrievalMetrics.DotProducts(imageEmbeddings, captionEmbeddings);
        var textToImage = RetrievalMetrics.Transpose(imageToText);
        var textRelevance = RetrievalMetrics.Transpose(Relevance);
        return new HeldOutMetrics(
            accuracy,
            RetrievalMetrics.RecallAtK(imageToText, Relevance, 1),
            RetrievalMetrics.RecallAtK(imageToText, Relevance, 5),
            RetrievalMetrics.RecallAtK(textToImage, textRelevance, 1),
            RetrievalMetrics.RecallAtK(textToImage, textRelevance, 5));
    }

    // The class embedding is the normalised mean of the normalised prompt embeddings of that class.
    private float[][] EncodeClasses(RewardModel model)
    {
        var prompts = Encode(model.EncodeTexts, _promptTokens);
        int size = prompts[0].Length;
        var result = new float[Classes.Count][];
        for (int c = 0; c < Classes.Count; c++)
        {
            using var scope = torch.NewDisposeScope();
            var flat = prompts.Skip(c * _templateCount).Take(_templateCount).SelectMany(p => p).ToArray();
            var mean = F.normalize(torch.tensor(flat, [_templateCount, size]).mean([0]), p: 2, dim: 0);
            result[c] = mean.data<float>().ToArray();
        }

        return result;
    }

    private static float[][] Encode(Func<Tensor, Tensor> encoder, Tensor input)
    {
        var rows = new List<float[]>((int)input.shape[0]);
        for (long start = 0; start < input.shape[0]; start += EncodeChunkSize)
        {
            using var scope = torch.NewDisposeScope();
            long length = Math.Min(EncodeChunkSize, input.shape[0] - start);
            var output = encoder(input.narrow(0, start, length));
            int size = (int)output.shape[1];
            var values = output.cpu().data<float>().ToArray();
            for (int i = 0; i < length; i++)
            {
                rows.Add(values.AsSpan(i * size, size).ToArray());
            }
        }

        return [.. rows];
    }

    internal static Tensor Tokenize(CaptionTokenizer tokenizer, IReadOnlyList<string> texts)
    {
        var ids = new long[texts.Count * tokenizer.MaxLength];
        for (int i = 0; i < texts.Count; i++)
        {
            tokenizer.Encode(texts[i], ids.AsSpan(i * tokenizer.MaxLength, tokenizer.MaxLength));
        }

        return torch.tensor(ids, [texts.Count, tokenizer.MaxLength]);
    }

    public void Dispose()
    {
        _images.Dispose();
        _promptTokens.Dispose();
        _captionTokens.Dispose();
    }
}
