using System.Text.Json;
using TorchSharp;

namespace RsStreamCurate.Scoring;

/// <summary>
/// A reward model with its tokenizer and metadata. On disk it is one directory with <c>model.bin</c>
/// (TorchSharp state dictionary, parameters and batch-norm statistics) and <c>metadata.json</c>.
/// </summary>
public sealed class RewardCheckpoint : IDisposable
{
    public const string ModelFileName = "model.bin";
    public const string MetadataFileName = "metadata.json";
    /// <summary>Tokenizer kind written by this build.</summary>
    public const string TokenizerKind = "wordpiece";

    // Word-level vocabularies of earlier checkpoints give the same ids through the WordPiece tokenizer.
    private const string LegacyTokenizerKind = "word";

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public RewardCheckpoint(RewardModel model, ICaptionTokenizer tokenizer, CheckpointMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(metadata);
        if (tokenizer.VocabularySize != model.Options.VocabularySize || tokenizer.MaxLength != model.Options.MaxTokens)
        {
            throw new ArgumentException(
                $"Tokenizer (vocabulary {tokenizer.VocabularySize}, length {tokenizer.MaxLength}) does not match the model (vocabulary {model.Options.VocabularySize}, length {model.Options.MaxTokens}).");
        }

        Model = model;
        Tokenizer = tokenizer;
        Metadata = metadata;
    }

    public RewardModel Model { get; }

    /// <summary>Tokenizer whose vocabulary the model was trained with; metadata.json stores its state.</summary>
    public ICaptionTokenizer Tokenizer { get; }

    public CheckpointMetadata Metadata { get; set; }

    public string ModelVersion => Metadata.ModelVersion;

    /// <summary>Creates metadata for a model and tokenizer; training and evaluation are filled in later.</summary>
    public static CheckpointMetadata DescribeUntrained(string modelVersion, RewardModel model, CaptionTokenizer tokenizer, int minCount) => new()
    {
        ModelVersion = modelVersion,
        CreatedAt = DateTimeOffset.UtcNow,
        Model = model.Options,
        Tokenizer = new TokenizerMetadata(TokenizerKind, tokenizer.MaxLength, minCount, tokenizer.Vocabulary),
        ParameterCount = model.CountParameters(),
    };

    /// <summary>Writes <c>model.bin</c> and <c>metadata.json</c> into <paramref name="directory"/>, creating it if needed.</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        Model.save(Path.Combine(directory, ModelFileName));
        SaveMetadata(directory);
    }

    /// <summary>Rewrites only <c>metadata.json</c>, for example after evaluation.</summary>
    public void SaveMetadata(string directory)
    {
        Directory.CreateDirectory(directory);
        var json = JsonSerializer.Serialize(Metadata, JsonOptions);
        File.WriteAllText(Path.Combine(directory, MetadataFileName), json + "\n");
    }

    /// <summary>Reads the metadata of a checkpoint without loading the model.</summary>
    public static CheckpointMetadata ReadMetadata(string directory)
    {
        var path = Path.Combine(directory, MetadataFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Checkpoint metadata {path} was not found; pass the directory that contains {MetadataFileName} and {ModelFileName}.", path);
        }

        var metadata = JsonSerializer.Deserialize<CheckpointMetadata>(File.ReadAllText(path), JsonOptions)
            ?? throw new InvalidDataException($"Checkpoint metadata {path} is empty.");
        if (metadata.FormatVersion != CheckpointMetadata.CurrentFormatVersion)
        {
            throw new InvalidDataException(
                $"Checkpoint {directory} has format version {metadata.FormatVersion}; this build reads only version {CheckpointMetadata.CurrentFormatVersion}.");
        }

        if (metadata.Tokenizer.Kind is not (TokenizerKind or LegacyTokenizerKind))
        {
            throw new InvalidDataException(
                $"Checkpoint {directory} uses tokenizer '{metadata.Tokenizer.Kind}'; this build reads only '{TokenizerKind}' and '{LegacyTokenizerKind}'.");
        }

        return metadata;
    }

    /// <summary>Loads a checkpoint directory on the CPU, in evaluation mode.</summary>
    public static RewardCheckpoint Load(string directory)
    {
        var metadata = ReadMetadata(directory);
        var modelPath = Path.Combine(directory, ModelFileName);
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"Model weights {modelPath} were not found next to {MetadataFileName}.", modelPath);
        }

        var tokenizer = new CaptionTokenizer(metadata.Tokenizer.Vocabulary, metadata.Tokenizer.MaxLength);
        var model = new RewardModel(metadata.Model);
        try
        {
            model.load(modelPath, strict: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        model.eval();
        return new RewardCheckpoint(model, tokenizer, metadata);
    }

    public void Dispose() => Model.Dispose();
}
