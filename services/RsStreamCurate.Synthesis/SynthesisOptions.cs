using System.ComponentModel.DataAnnotations;

namespace RsStreamCurate.Synthesis;

/// <summary>Settings of the synthesis service, bound from the <c>Synthesis</c> configuration section.</summary>
public sealed class SynthesisOptions
{
    public const string SectionName = "Synthesis";

    /// <summary>RSICD-style JSONL manifest to read.</summary>
    [Required(ErrorMessage = "Synthesis:Manifest is required: set it to an RSICD-style JSONL manifest.")]
    public string Manifest { get; set; } = string.Empty;

    /// <summary>Folder that image URIs are relative to; defaults to the manifest's folder.</summary>
    public string? ImageRoot { get; set; }

    /// <summary>Maximum candidates produced per second; 0 means unlimited.</summary>
    [Range(0, 1_000_000, ErrorMessage = "Synthesis:MaxCandidatesPerSecond must be between 0 (unlimited) and 1000000.")]
    public double MaxCandidatesPerSecond { get; set; }

    /// <summary>Whether to start over at the end of the manifest, for a continuous stream.</summary>
    public bool Loop { get; set; }

    /// <summary>Seed of the defect generators; pass <c>n</c> of a looping stream uses <c>Seed + n</c>.</summary>
    public int Seed { get; set; } = 17;

    /// <summary>Defective variants per image.</summary>
    [Range(0, 6, ErrorMessage = "Synthesis:DefectsPerImage must be between 0 and 6 (the number of defect kinds).")]
    public int DefectsPerImage { get; set; } = 4;

    /// <summary>Returns the image root to use: <see cref="ImageRoot"/>, or the manifest's folder.</summary>
    public string ResolveImageRoot() =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(ImageRoot) ? Path.GetDirectoryName(Path.GetFullPath(Manifest))! : ImageRoot);
}
