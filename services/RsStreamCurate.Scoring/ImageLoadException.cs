using RsStreamCurate.Contracts;

namespace RsStreamCurate.Scoring;

/// <summary>
/// Raised when an image cannot be used for scoring or training. <see cref="Reason"/> is one of the
/// image-related <see cref="DeadLetterReasons"/> values.
/// </summary>
public sealed class ImageLoadException(string reason, string imageUri, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public string Reason { get; } = reason;

    /// <summary>Image URI as requested, relative to the image root.</summary>
    public string ImageUri { get; } = imageUri;
}
