using System.ComponentModel.DataAnnotations;

namespace RsStreamCurate.Scoring;

/// <summary>Settings of the scoring stage, bound from the <c>Scoring</c> configuration section.</summary>
public sealed class ScoringOptions
{
    public const string SectionName = "Scoring";

    /// <summary>Checkpoint directory of the reward model (contains <c>model.bin</c> and <c>metadata.json</c>).</summary>
    [Required(ErrorMessage = "Scoring:Checkpoint is required: set it to a reward-model checkpoint directory.")]
    public string Checkpoint { get; set; } = string.Empty;

    /// <summary>Folder that candidate image URIs are relative to. Paths that leave it are dead-lettered.</summary>
    [Required(ErrorMessage = "Scoring:ImageRoot is required: set it to the folder that candidate image URIs are relative to.")]
    public string ImageRoot { get; set; } = string.Empty;

    /// <summary>Kafka consumer group of the scorers; all instances of the stage share it.</summary>
    public string GroupId { get; set; } = "rscurate-scoring";

    /// <summary>Candidates scored in one forward pass.</summary>
    [Range(1, 4096, ErrorMessage = "Scoring:BatchSize must be between 1 and 4096.")]
    public int BatchSize { get; set; } = 64;

    /// <summary>Image embeddings kept in memory, per scorer process.</summary>
    [Range(0, 10_000_000, ErrorMessage = "Scoring:CacheCapacity must be between 0 and 10000000.")]
    public int CacheCapacity { get; set; } = 20_000;

    /// <summary>Images with more pixels than this are rejected before decoding.</summary>
    [Range(1, long.MaxValue, ErrorMessage = "Scoring:MaxPixels must be positive.")]
    public long MaxPixels { get; set; } = 40_000_000;

    /// <summary>Image files larger than this many bytes are rejected without reading them.</summary>
    [Range(1, long.MaxValue, ErrorMessage = "Scoring:MaxFileBytes must be positive.")]
    public long MaxFileBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Upper bound of what the image decoder may allocate for one image, in MiB.</summary>
    [Range(16, 65_536, ErrorMessage = "Scoring:AllocationLimitMegabytes must be between 16 and 65536.")]
    public int AllocationLimitMegabytes { get; set; } = 512;

    /// <summary>Image loader settings derived from these options.</summary>
    public ImageLoaderOptions ToImageLoaderOptions() => new()
    {
        ImageRoot = ImageRoot,
        MaxPixels = MaxPixels,
        MaxFileBytes = MaxFileBytes,
        AllocationLimitMegabytes = AllocationLimitMegabytes,
    };
}
