namespace RsStreamCurate.Scoring;

/// <summary>Settings of <see cref="ImageLoader"/>.</summary>
public sealed record ImageLoaderOptions
{
    /// <summary>Folder that every image URI is resolved under; no image outside it is read.</summary>
    public required string ImageRoot { get; init; }

    /// <summary>Side in pixels of the square model input that every image is resized to.</summary>
    public int InputSize { get; init; } = 64;

    /// <summary>Maximum width * height, read from the header before decoding.</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>Maximum file size in bytes.</summary>
    public long MaxFileBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Maximum memory in MB that ImageSharp may allocate for one image.</summary>
    public int AllocationLimitMegabytes { get; init; } = 512;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ImageRoot))
        {
            throw new ArgumentException("ImageRoot is empty; set it to the folder that contains the images.", nameof(ImageRoot));
        }

        if (InputSize is < 8 or > 1024)
        {
            throw new ArgumentException($"InputSize {InputSize} is out of range; use 8 to 1024 pixels.", nameof(InputSize));
        }

        if (MaxPixels <= 0 || MaxFileBytes <= 0 || AllocationLimitMegabytes <= 0)
        {
            throw new ArgumentException(
                $"MaxPixels ({MaxPixels}), MaxFileBytes ({MaxFileBytes}) and AllocationLimitMegabytes ({AllocationLimitMegabytes}) must be positive.");
        }
    }
}
