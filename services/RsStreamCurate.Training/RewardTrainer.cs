using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Scoring;
using RsStreamCurate.Synthesis;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RsStreamCurate.Training;

/// <summary>
/// Trains a <see cref="RewardModel"/> in two stages. Stage 1 pre-trains both towers contrastively (symmetric
/// InfoNCE with a learned temperature) on image-caption pairs. Stage 2 freezes the image tower and trains the
/// text tower and reward head with the Bradley-Terry loss on preference pairs built from the same captions.
/// The same options and seed on the same thread count give the same checkpoint.
/// </summary>
public sealed class RewardTrainer
{
    // Images per forward pass when embeddings are precomputed without gradients.
    private const int EncodeChunkSize = 128;

    // A flip and four 90-degree rotations give the eight symmetries of a square image; RS scenes have no up.
    private const int DihedralVariants = 8;

    private readonly TrainingOptions _options;
    private readonly ILogger _logger;
    private readonly Device _device;
    private readonly Random _random;

    private RewardTrainer(TrainingOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _device = TorchRuntime.SelectDevice();
        _random = new Random(options.Seed);
    }

    /// <summary>Trains, saves the checkpoint to <see cref="TrainingOptions.OutputDirectory"/> and evaluates it.</summary>
    public static TrainingReport Train(TrainingOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        return new RewardTrainer(options, logger).Run();
    }

    private TrainingReport Run()
    {
        var total = Stopwatch.StartNew();
        var imageRoot = _options.ImageRoot ?? Path.GetDirectoryName(Path.GetFullPath(_options.ManifestPath))!;
        _logger.LogInformation("Training {ModelVersion} from {ManifestPath} with seed {Seed} on {Runtime}",
            _options.ModelVersion, _options.ManifestPath, _options.Seed, TorchRuntime.Describe());

        var (split, digest) = ReadManifest();
        var trainEntries = _options.MaxTrainImages is { } max ? split.Train.Take(max).ToList() : split.Train.ToList();
        var loader = new ImageLoader(new ImageLoaderOptions { ImageRoot = imageRoot, InputSize = _options.Model.InputSize });
        var (images, loaded) = PreloadImages(loader, trainEntries);
        using var imageBatch = images;
        int skipped = trainEntries.Count - loaded.Count;
        if (loaded.Count < 2)
        {
            throw new InvalidDataException($"Only {loaded.Count} training images could be loaded from {imageRoot}; at least 2 are needed.");
        }

        var captions = loaded.Select(PreferencePairBuilder.ChosenCaptions).ToList();
        var tokenizer = CaptionTokenizer.Build(captions.SelectMany(c => c), _options.MinTokenCount, _options.Model.MaxTokens, _options.CharacterPieces);
        torch.manual_seed(_options.Seed);
        var model = new RewardModel(_options.Model with { VocabularySize = tokenizer.VocabularySize, MaxTokens = tokenizer.MaxLength });
        model.to(_device);
        var checkpoint = new RewardCheckpoint(model, tokenizer, RewardCheckpoint.DescribeUntrained(_options.ModelVersion, model, tokenizer, _options.MinTokenCount));
        using var disposeCheckpoint = checkpoint;
        _logger.LogInformation("Model has {Parameters} parameters and a vocabulary of {Words} tokens; {Images} training images loaded, {Skipped} skipped",
            model.CountParameters(), tokenizer.VocabularySize, loaded.Count, skipped);

        var stage1 = Stopwatch.StartNew();
        var contrastiveLosses = RunContrastiveStage(model, tokenizer, imageBatch, captions);
        stage1.Stop();

        double? pretrainedClipAccuracy = null;
        if (_options.Evaluate && split.Test.Count > 0)
        {
            var pretrained = EvaluateInMemory(checkpoint, loader, split.Test);
            pretrainedClipAccuracy = pretrained.Metrics.Overall.ClipScore;
            _logger.LogInformation("CLIP-score accuracy after contrastive pre-training: {Accuracy:P1}", pretrainedClipAccuracy);
        }

        var defectKinds = _options.DefectKinds ?? CaptionDefects.AllKinds;
        var imageIndex = loaded.Select((entry, i) => (entry.ImageId, i)).ToDictionary(x => x.ImageId, x => x.i, StringComparer.Ordinal);
        var (imported, importedImages, skippedImported) = LoadImportedPairs(loaded.Count);

        // Epoch e draws its defects with seed Seed + e * DefectDrawsPerCaption, so its rejected captions differ from those of
        // other epochs. Imported pairs are the same in every epoch. Without resampling, only epoch 0 is built.
        List<TrainingPair> PairsOfEpoch(int epoch)
        {
            var epochPairs = BuildSyntheticPairs(loaded, defectKinds, epoch * _options.DefectDrawsPerCaption)
                .Select(pair => new TrainingPair(pair, imageIndex[pair.ImageId], 1f))
                .ToList();
            epochPairs.AddRange(imported);
            return epochPairs;
        }

        var pairs = PairsOfEpoch(0);
        var stage2 = Stopwatch.StartNew();
        List<double> preferenceLosses;
        if (importedImages is null)
        {
            preferenceLosses = RunPreferenceStage(model, tokenizer, imageBatch, captions, pairs, PairsOfEpoch);
        }
        else
        {
            using var allImages = torch.cat([imageBatch, importedImages], 0);
            importedImages.Dispose();
            preferenceLosses = RunPreferenceStage(model, tokenizer, allImages, captions, pairs, PairsOfEpoch);
        }

        stage2.Stop();

        var lineage = new TrainingLineage
        {
            Seed = _options.Seed,
            Manifest = _options.ManifestPath,
            DataDigest = digest,
            TrainImageCount = loaded.Count,
            ContrastivePairCount = captions.Sum(c => c.Count),
            PreferencePairCount = pairs.Count,
            ImportedPairCount = imported.Count,
            PreferenceFiles = _options.PreferenceFiles.Count > 0 ? _options.PreferenceFiles : null,
            DefectKinds = defectKinds.Select(CaptionDefects.Name).ToList(),
            Hyperparameters = DescribeHyperparameters(),
            TrainingSeconds = total.Elapsed.TotalSeconds,
            TorchThreads = torch.get_num_threads(),
        };
        checkpoint.Metadata = checkpoint.Metadata with { CreatedAt = DateTimeOffset.UtcNow, Training = lineage };
        checkpoint.Save(_options.OutputDirectory);

        EvaluationReport? evaluation = null;
        if (_options.Evaluate && split.Test.Count > 0)
        {
            evaluation = EvaluateInMemory(checkpoint, loader, split.Test);
            var metrics = evaluation.Metrics with { PretrainedClipScoreAccuracy = pretrainedClipAccuracy };
            evaluation = evaluation with { Metrics = metrics };
            checkpoint.Metadata = checkpoint.Metadata with { Evaluation = metrics };
            checkpoint.SaveMetadata(_options.OutputDirectory);
            RewardEvaluator.Log(_logger, evaluation);
        }

        long bytes = new DirectoryInfo(_options.OutputDirectory).EnumerateFiles()
            .Where(f => f.Name is RewardCheckpoint.ModelFileName or RewardCheckpoint.MetadataFileName)
            .Sum(f => f.Length);
        _logger.LogInformation("Saved {ModelVersion} to {Directory} ({Bytes} bytes) after {Seconds:F1} s",
            _options.ModelVersion, _options.OutputDirectory, bytes, total.Elapsed.TotalSeconds);

        return new TrainingReport
        {
            ModelVersion = _options.ModelVersion,
            CheckpointDirectory = _options.OutputDirectory,
            ParameterCount = model.CountParameters(),
            CheckpointBytes = bytes,
            TrainImages = loaded.Count,
            SkippedImages = skipped,
            ContrastivePairs = lineage.ContrastivePairCount,
            PreferencePairs = pairs.Count,
            ImportedPairs = imported.Count,
            SkippedImportedPairs = skippedImported,
            ContrastiveEpochLosses = contrastiveLosses,
            PreferenceEpochLosses = preferenceLosses,
            ContrastiveSeconds = stage1.Elapsed.TotalSeconds,
            PreferenceSeconds = stage2.Elapsed.TotalSeconds,
            TotalSeconds = total.Elapsed.TotalSeconds,
            DataDigest = digest,
            Evaluation = evaluation,
        };
    }

    // Returns the split by image and the SHA-256 over the raw manifest lines of the training images.
    private (ImageSplit Split, string Digest) ReadManifest()
    {
        var lines = ManifestReader.ReadLenient(_options.ManifestPath).ToList();
        if (lines.FirstOrDefault(line => line.Error is not null) is { } invalid)
        {
            throw new ManifestException(invalid.Error!);
        }

        var split = ImageSplit.ByImage(lines.Select(line => line.Entry!).ToList());
        var trainEntries = _options.MaxTrainImages is { } max ? split.Train.Take(max) : split.Train;
        var trainLines = trainEntries.Select(entry => entry.LineNumber).ToHashSet();

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var line in lines.Where(line => trainLines.Contains(line.LineNumber)))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(line.RawLine + "\n"));
        }

        foreach (var file in _options.PreferenceFiles)
        {
            if (!File.Exists(file))
            {
                throw new PreferenceFileException($"Preference file '{file}' was not found; pass a JSONL file with image, chosen and rejected fields.");
            }

            sha.AppendData(File.ReadAllBytes(file));
        }

        return (split, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    // Loads every training image once into one (N, 3, S, S) tensor; images that fail are logged and left out.
    private (Tensor Images, List<ManifestEntry> Loaded) PreloadImages(ImageLoader loader, IReadOnlyList<ManifestEntry> entries)
    {
        var loaded = new List<ManifestEntry>(entries.Count);
        var pixels = new List<float[]>(entries.Count);
        foreach (var entry in entries)
        {
            try
            {
                pixels.Add(loader.Load(entry.ImagePath));
                loaded.Add(entry);
            }
            catch (ImageLoadException ex)
            {
                _logger.LogWarning("Skipping training image {ImagePath}: {Reason}: {Detail}", entry.ImagePath, ex.Reason, ex.Message);
            }
        }

        int size = _options.Model.InputSize;
        var flat = new float[pixels.Count * loader.PixelCount];
        for (int i = 0; i < pixels.Count; i++)
        {
            pixels[i].CopyTo(flat, i * loader.PixelCount);
        }

        return (torch.tensor(flat, [pixels.Count, 3, size, size]).to(_device), loaded);
    }

    // Makes one draw of every defect kind per chosen caption and draw, draw d with seed Seed + seedOffset + d. A rejected text
    // that an earlier draw already produced for the same chosen caption is left out, so no pair counts twice.
    private List<PreferencePair> BuildSyntheticPairs(List<ManifestEntry> entries, IReadOnlyList<DefectKind> defectKinds, int seedOffset)
    {
        var pairs = new List<PreferencePair>();
        var seen = new HashSet<(string, string, string)>();
        for (int draw = 0; draw < _options.DefectDrawsPerCaption; draw++)
        {
            var drawn = PreferencePairBuilder.Build(entries, _options.Seed + seedOffset + draw, new PreferencePairOptions
            {
                DefectKinds = defectKinds,
                RelevancePairsPerCaption = _options.RelevancePairsPerCaption,
            });
            pairs.AddRange(drawn.Where(pair => seen.Add((pair.ImageId, pair.Chosen, pair.Rejected))));
        }

        return pairs;
    }

    // Reads the preference files and loads their images, which are appended after the training images, so the
    // image index of an imported pair starts at firstImageIndex. Pairs whose image fails to load are logged and skipped.
    private (List<TrainingPair> Pairs, Tensor? Images, int Skipped) LoadImportedPairs(int firstImageIndex)
    {
        var pairs = new List<TrainingPair>();
        var pixels = new List<float[]>();
        int skipped = 0;
        int pixelCount = 0;
        foreach (var file in _options.PreferenceFiles)
        {
            var root = _options.PreferenceImageRoot ?? Path.GetDirectoryName(Path.GetFullPath(file))!;
            var loader = new ImageLoader(new ImageLoaderOptions { ImageRoot = root, InputSize = _options.Model.InputSize });
            pixelCount = loader.PixelCount;
            var indexByPath = new Dictionary<string, int>(StringComparer.Ordinal);
            var filePairs = PreferenceFileReader.Read(file);
            foreach (var pair in filePairs)
            {
                if (!indexByPath.TryGetValue(pair.ImagePath, out int index))
                {
                    try
                    {
                        pixels.Add(loader.Load(pair.ImagePath));
                        index = firstImageIndex + pixels.Count - 1;
                    }
                    catch (ImageLoadException ex)
                    {
                        _logger.LogWarning("Skipping pairs of image {ImagePath} in {File}: {Reason}: {Detail}", pair.ImagePath, file, ex.Reason, ex.Message);
                        index = -1;
                    }

                    indexByPath[pair.ImagePath] = index;
                }

                if (index < 0)
                {
                    skipped++;
                    continue;
                }

                pairs.Add(new TrainingPair(pair, index, (float)_options.ImportedPairWeight));
            }

            _logger.LogInformation("Imported {Pairs} preference pairs from {File} with weight {Weight}", filePairs.Count, file, _options.ImportedPairWeight);
        }

        if (pixels.Count == 0)
        {
            return (pairs, null, skipped);
        }

        int size = _options.Model.InputSize;
        var flat = new float[pixels.Count * pixelCount];
        for (int i = 0; i < pixels.Count; i++)
        {
            pixels[i].CopyTo(flat, i * pixelCount);
        }

        return (pairs, torch.tensor(flat, [pixels.Count, 3, size, size]).to(_device), skipped);
    }

    private List<double> RunContrastiveStage(RewardModel model, CaptionTokenizer tokenizer, Tensor images, List<IReadOnlyList<string>> captions)
    {
        var losses = new List<double>();
        if (_options.ContrastiveEpochs == 0)
        {
            return losses;
        }

        model.train();
        using var optimizer = torch.optim.AdamW(model.parameters(), _options.ContrastiveLearningRate, weight_decay: _options.WeightDecay);
        var usable = Enumerable.Range(0, captions.Count).Where(i => captions[i].Count > 0).ToArray();
        int batchSize = Math.Min(_options.ContrastiveBatchSize, usable.Length);

        for (int epoch = 0; epoch < _options.ContrastiveEpochs; epoch++)
        {
            var order = usable.ToArray();
            _random.Shuffle(order);
            double sum = 0;
            int steps = 0;

            // The last partial batch is dropped: InfoNCE with a handful of negatives is a noisy step.
            for (int start = 0; start + batchSize <= order.Length; start += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                var indices = order[start..(start + batchSize)];
                var texts = indices.Select(i => captions[i][_random.Next(captions[i].Count)]).ToList();
                var batchImages = Augment(images, indices);
                var imageEmbeddings = model.EncodeImages(batchImages);
                var textEmbeddings = model.EncodeTexts(Tokenize(tokenizer, texts));
                var loss = RewardLosses.Contrastive(imageEmbeddings, textEmbeddings, model.LogitScale(), RewardLosses.SameCaptionMask(texts, _device));

                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                sum += loss.item<float>();
                steps++;
            }

            losses.Add(sum / Math.Max(1, steps));
            _logger.LogInformation("Contrastive epoch {Epoch}/{Epochs}: mean loss {Loss:F4}, temperature {Temperature:F4}",
                epoch + 1, _options.ContrastiveEpochs, losses[^1], 1.0 / model.LogitScale().item<float>());
        }

        return losses;
    }

    // Images contains the training images first (aligned with captions) and then the imported images.
    private List<double> RunPreferenceStage(
        RewardModel model, CaptionTokenizer tokenizer, Tensor images,
        List<IReadOnlyList<string>> captions, IReadOnlyList<TrainingPair> firstEpochPairs, Func<int, List<TrainingPair>> pairsOfEpoch)
    {
        IReadOnlyList<TrainingPair> pairs = firstEpochPairs;
        var losses = new List<double>();
        if (_options.PreferenceEpochs == 0 || pairs.Count == 0)
        {
            return losses;
        }

        foreach (var parameter in model.ImageTowerModule.parameters())
        {
            parameter.requires_grad = false;
        }

        using var variants = EncodeDihedralVariants(model, images);
        var usable = Enumerable.Range(0, captions.Count).Where(i => captions[i].Count > 0).ToArray();
        int contrastiveBatch = Math.Min(_options.ContrastiveBatchSize, usable.Length);

        model.train();
        model.ImageTowerModule.eval();
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = torch.optim.AdamW(trainable, _options.PreferenceLearningRate, weight_decay: _options.WeightDecay);

        for (int epoch = 0; epoch < _options.PreferenceEpochs; epoch++)
        {
            if (epoch > 0 && _options.ResampleDefectsEachEpoch)
            {
                pairs = pairsOfEpoch(epoch);
            }

            var order = Enumerable.Range(0, pairs.Count).ToArray();
            _random.Shuffle(order);
            double sum = 0;
            int steps = 0;

            for (int start = 0; start < order.Length; start += _options.PreferenceBatchSize)
            {
                using var scope = torch.NewDisposeScope();
                var batch = order[start..Math.Min(order.Length, start + _options.PreferenceBatchSize)].Select(i => pairs[i]).ToList();
                var pairImages = PickVariants(variants, batch.Select(p => p.ImageIndex).ToArray());
                var texts = model.EncodeTexts(Tokenize(tokenizer, [.. batch.Select(p => p.Pair.Chosen), .. batch.Select(p => p.Pair.Rejected)]));
                var chosen = model.Reward(pairImages, texts[..batch.Count]);
                var rejected = model.Reward(pairImages, texts[batch.Count..]);
                var weights = torch.tensor(batch.Select(p => p.Weight).ToArray()).to(_device);
                var preferenceLoss = RewardLosses.BradleyTerry(chosen, rejected, weights);

                var loss = preferenceLoss;
                if (_options.PreferenceContrastiveWeight > 0 && contrastiveBatch >= 2)
                {
                    loss = loss + ContrastiveTerm(model, tokenizer, variants, usable, captions, contrastiveBatch) * _options.PreferenceContrastiveWeight;
                }

                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                sum += preferenceLoss.item<float>();
                steps++;
            }

            losses.Add(sum / Math.Max(1, steps));
            _logger.LogInformation("Preference epoch {Epoch}/{Epochs}: mean Bradley-Terry loss {Loss:F4}", epoch + 1, _options.PreferenceEpochs, losses[^1]);
        }

        return losses;
    }

    private Tensor ContrastiveTerm(
        RewardModel model, CaptionTokenizer tokenizer, Tensor variants, int[] usable, List<IReadOnlyList<string>> captions, int batchSize)
    {
        var indices = usable.ToArray();
        _random.Shuffle(indices);
        indices = indices[..batchSize];
        var texts = indices.Select(i => captions[i][_random.Next(captions[i].Count)]).ToList();
        var imageEmbeddings = PickVariants(variants, indices);
        var textEmbeddings = model.EncodeTexts(Tokenize(tokenizer, texts));
        return RewardLosses.Contrastive(imageEmbeddings, textEmbeddings, model.LogitScale(), RewardLosses.SameCaptionMask(texts, _device));
    }

    // Encodes every image once in each of its eight dihedral variants, as (8, N, E). The frozen image tower
    // gives the same embedding every epoch, so augmentation then costs one index per pair.
    private Tensor EncodeDihedralVariants(RewardModel model, Tensor images)
    {
        model.eval();
        using var noGrad = torch.no_grad();
        var perVariant = new List<Tensor>(DihedralVariants);
        int variantCount = _options.Augment ? DihedralVariants : 1;
        for (int variant = 0; variant < variantCount; variant++)
        {
            using var scope = torch.NewDisposeScope();
            var transformed = Transform(images, variant, heightDim: 2, widthDim: 3);
            var chunks = new List<Tensor>();
            for (long start = 0; start < images.shape[0]; start += EncodeChunkSize)
            {
                long length = Math.Min(EncodeChunkSize, images.shape[0] - start);
                chunks.Add(model.EncodeImages(transformed.narrow(0, start, length)));
            }

            perVariant.Add(torch.cat(chunks, 0).MoveToOuterDisposeScope());
        }

        var stacked = torch.stack(perVariant, 0);
        foreach (var tensor in perVariant)
        {
            tensor.Dispose();
        }

        return stacked;
    }

    // Picks one precomputed embedding per image index, in a random dihedral variant.
    private Tensor PickVariants(Tensor variants, int[] imageIndices)
    {
        long variantCount = variants.shape[0];
        long imageCount = variants.shape[1];
        var flatIndices = imageIndices.Select(i => _random.Next((int)variantCount) * imageCount + i).ToArray();
        var flat = variants.reshape(variantCount * imageCount, variants.shape[2]);
        return flat.index_select(0, torch.tensor(flatIndices, dtype: ScalarType.Int64, device: _device));
    }

    // Builds a batch (B, 3, S, S) from image indices, each in a random dihedral variant when augmenting.
    private Tensor Augment(Tensor images, int[] indices)
    {
        var selected = images.index_select(0, torch.tensor(indices.Select(i => (long)i).ToArray(), device: _device));
        if (!_options.Augment)
        {
            return selected;
        }

        var samples = new Tensor[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            samples[i] = Transform(selected[i], _random.Next(DihedralVariants), heightDim: 1, widthDim: 2);
        }

        return torch.stack(samples, 0);
    }

    // Variant 0-3: rotation by 0, 90, 180 or 270 degrees; 4-7: the same followed by a horizontal flip.
    private static Tensor Transform(Tensor image, int variant, long heightDim, long widthDim)
    {
        var rotated = (variant % 4) == 0 ? image : image.rot90(variant % 4, (heightDim, widthDim));
        return variant >= 4 ? rotated.flip(widthDim) : rotated;
    }

    private Tensor Tokenize(CaptionTokenizer tokenizer, IReadOnlyList<string> texts)
    {
        var ids = new long[texts.Count * tokenizer.MaxLength];
        for (int i = 0; i < texts.Count; i++)
        {
            tokenizer.Encode(texts[i], ids.AsSpan(i * tokenizer.MaxLength, tokenizer.MaxLength));
        }

        return torch.tensor(ids, [texts.Count, tokenizer.MaxLength]).to(_device);
    }

    private EvaluationReport EvaluateInMemory(RewardCheckpoint checkpoint, ImageLoader loader, IReadOnlyList<ManifestEntry> testEntries)
    {
        using var scorer = new RewardScorer(checkpoint, loader, new ImageEmbeddingCache(testEntries.Count + 1), device: _device, ownsCheckpoint: false);
        return RewardEvaluator.Evaluate(scorer, testEntries, _options.EvaluationSeed, _options.DefectKinds);
    }

    private Dictionary<string, double> DescribeHyperparameters() => new(StringComparer.Ordinal)
    {
        ["contrastive_epochs"] = _options.ContrastiveEpochs,
        ["contrastive_batch_size"] = _options.ContrastiveBatchSize,
        ["contrastive_learning_rate"] = _options.ContrastiveLearningRate,
        ["preference_epochs"] = _options.PreferenceEpochs,
        ["preference_batch_size"] = _options.PreferenceBatchSize,
        ["preference_learning_rate"] = _options.PreferenceLearningRate,
        ["preference_contrastive_weight"] = _options.PreferenceContrastiveWeight,
        ["weight_decay"] = _options.WeightDecay,
        ["relevance_pairs_per_caption"] = _options.RelevancePairsPerCaption,
        ["min_token_count"] = _options.MinTokenCount,
        ["character_pieces"] = _options.CharacterPieces ? 1 : 0,
        ["defect_draws_per_caption"] = _options.DefectDrawsPerCaption,
        ["resample_defects_each_epoch"] = _options.ResampleDefectsEachEpoch ? 1 : 0,
        ["imported_pair_weight"] = _options.ImportedPairWeight,
        ["augment"] = _options.Augment ? 1 : 0,
        ["evaluation_seed"] = _options.EvaluationSeed,
    };
}

/// <summary>A preference pair with the row of its image in the stage-2 image tensor and its loss weight.</summary>
internal sealed record TrainingPair(PreferencePair Pair, int ImageIndex, float Weight);
