using RsStreamCurate.Contracts;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace RsStreamCurate.Scoring;

/// <summary>
/// Reads images under one root folder and turns them into normalised CHW float pixels of the model's input
/// size. Every rejected image raises <see cref="ImageLoadException"/> with a dead-letter reason. Thread-safe.
/// </summary>
public sealed class ImageLoader
{
    // Per-channel ImageNet mean and standard deviation, applied after scaling pixels to [0, 1].
    private static readonly float[] ChannelMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ChannelStd = [0.229f, 0.224f, 0.225f];

    // Bytes searched from the end of a JPEG for the end-of-image marker, to allow a little trailing padding.
    private const int JpegEndMarkerSearchBytes = 32;

    private readonly ImageLoaderOptions _options;
    private readonly Configuration _configuration;
    private readonly string _realRoot;

    public ImageLoader(ImageLoaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;

        var root = Path.GetFullPath(options.ImageRoot);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Image root {root} does not exist; set ImageRoot to the folder that contains the images.");
        }

        _realRoot = ResolveRealPath(root);
        _configuration = Configuration.Default.Clone();

        // Callers decode many images in parallel, so each decode and resize runs on one thread. For 224 px JPEGs in
        // batches of 64 on 2 cores, ImageSharp's own row parallelism made decoding about 10 % slower (a one-off measurement).
        _configuration.MaxDegreeOfParallelism = 1;
        _configuration.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
        {
            AllocationLimitMegabytes = options.AllocationLimitMegabytes,
        });
    }

    public ImageLoaderOptions Options => _options;

    /// <summary>Number of floats in one loaded image: 3 * InputSize * InputSize.</summary>
    public int PixelCount => 3 * _options.InputSize * _options.InputSize;

    /// <summary>
    /// Loads, checks and resizes one image and returns its normalised pixels in channel-major (CHW) order.
    /// </summary>
    public float[] Load(string imageUri)
    {
        var path = ResolvePath(imageUri);
        var bytes = ReadChecked(imageUri, path);

        using var stream = new MemoryStream(bytes, writable: false);
        var format = Identify(imageUri, path, stream);
        CheckJpegEndMarker(imageUri, path, bytes, format);

        stream.Position = 0;
        using var image = Decode(imageUri, path, stream);
        image.Mutate(context => context.Resize(_options.InputSize, _options.InputSize));
        return ToNormalisedChw(image);
    }

    /// <summary>
    /// Checks, decodes and resizes an image sent inline (for example base64 in an HTTP request) with the same limits
    /// as a file. <paramref name="name"/> identifies the image in error messages.
    /// </summary>
    public float[] LoadBytes(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length == 0)
        {
            throw new ImageLoadException(DeadLetterReasons.ImageEmpty, name, $"Image {name} is empty (0 bytes); send the encoded image file.");
        }

        if (bytes.Length > _options.MaxFileBytes)
        {
            throw new ImageLoadException(DeadLetterReasons.ImageTooLarge, name,
                $"Image {name} has {bytes.Length} bytes, above the maximum of {_options.MaxFileBytes}; downscale it.");
        }

        using var stream = new MemoryStream(bytes, writable: false);
        var format = Identify(name, name, stream);
        CheckJpegEndMarker(name, name, bytes, format);

        stream.Position = 0;
        using var image = Decode(name, name, stream);
        image.Mutate(context => context.Resize(_options.InputSize, _options.InputSize));
        return ToNormalisedChw(image);
    }

    /// <summary>
    /// Resolves a relative image URI to a full path under the image root, following symbolic links.
    /// </summary>
    public string ResolvePath(string imageUri)
    {
        if (string.IsNullOrWhiteSpace(imageUri))
        {
            throw new ImageLoadException(DeadLetterReasons.ImageNotFound, imageUri ?? "",
                "The image URI is empty; give a path relative to the image root.");
        }

        if (Path.IsPathRooted(imageUri) || imageUri.StartsWith('\\') || imageUri.Contains('\0'))
        {
            throw new ImageLoadException(DeadLetterReasons.PathOutsideImageRoot, imageUri,
                $"Image URI '{imageUri}' is absolute; give a path relative to the image root {_realRoot}.");
        }

        var combined = Path.GetFullPath(Path.Combine(_realRoot, imageUri));
        if (!IsUnderRoot(combined))
        {
            throw new ImageLoadException(DeadLetterReasons.PathOutsideImageRoot, imageUri,
                $"Image URI '{imageUri}' resolves to {combined}, outside the image root {_realRoot}; remove '..' segments.");
        }

        var real = ResolveRealPath(combined);
        if (!IsUnderRoot(real))
        {
            throw new ImageLoadException(DeadLetterReasons.PathOutsideImageRoot, imageUri,
                $"Image URI '{imageUri}' follows a symbolic link to {real}, outside the image root {_realRoot}; copy the file under the root instead.");
        }

        return real;
    }

    private bool IsUnderRoot(string fullPath) =>
        fullPath.StartsWith(_realRoot.EndsWith(Path.DirectorySeparatorChar) ? _realRoot : _realRoot + Path.DirectorySeparatorChar,
            StringComparison.Ordinal);

    private byte[] ReadChecked(string imageUri, string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new ImageLoadException(DeadLetterReasons.ImageNotFound, imageUri,
                $"Image {path} was not found; check the image URI '{imageUri}' and the image root.");
        }

        if (file.Length == 0)
        {
            throw new ImageLoadException(DeadLetterReasons.ImageEmpty, imageUri,
                $"Image {path} is an empty file (0 bytes); re-export or re-download it.");
        }

        if (file.Length > _options.MaxFileBytes)
        {
            throw new ImageLoadException(DeadLetterReasons.ImageTooLarge, imageUri,
                $"Image {path} has {file.Length} bytes, above the maximum of {_options.MaxFileBytes}; downscale it or raise MaxFileBytes.");
        }

        return File.ReadAllBytes(path);
    }

    // Reads only the header, so the pixel count is checked before any pixel memory is allocated.
    private IImageFormat Identify(string imageUri, string path, Stream stream)
    {
        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(_configuration, stream, out format);
        }
        catch (InvalidImageContentException ex)
        {
            throw new ImageLoadException(DeadLetterReasons.ImageTruncated, imageUri,
                $"Image {path} has a corrupt or truncated header ({ex.Message}); re-export the file.", ex);
        }
        catch (Exception ex) when (ex is NotSupportedException or ImageFormatException)
        {
            throw new ImageLoadException(DeadLetterReasons.ImageUnsupported, imageUri,
                $"Image {path} has an unsupported format ({ex.Message}); convert it to JPEG, PNG or strip RGB TIFF.", ex);
        }

        if (info is null || format is null)
        {
            throw new ImageLoadException(DeadLetterReasons.ImageUnsupported, imageUri,
                $"Image {path} is not in a recognised image format; convert it to JPEG, PNG or strip RGB TIFF.");
        }

        long pixels = (long)info.Width * info.Height;
        if (pixels > _options.MaxPixels)
        {
            throw new ImageLoadException(DeadLetterReasons.ImageTooLarge, imageUri,
                $"Image {path} is {info.Width}x{info.Height} ({pixels} pixels), above the maximum of {_options.MaxPixels}; downscale or tile it.");
        }

        return format;
    }

    // ImageSharp 2.1.13 decodes a JPEG cut short without an error and fills the missing part with grey, so
    // the end-of-image marker (FF D9) is checked here.
    private static void CheckJpegEndMarker(string imageUri, string path, byte[] bytes, IImageFormat? format)
    {
        if (format is not JpegFormat)
        {
            return;
        }

        int start = Math.Max(0, bytes.Length - JpegEndMarkerSearchBytes);
        for (int i = bytes.Length - 2; i >= start; i--)
        {
            if (bytes[i] == 0xFF && bytes[i + 1] == 0xD9)
            {
                return;
            }
        }

        throw new ImageLoadException(DeadLetterReasons.ImageTruncated, imageUri,
            $"JPEG image {path} has no end-of-image marker (FF D9) and is probably truncated; re-download or re-export it.");
    }

    private Image<Rgb24> Decode(string imageUri, string path, Stream stream)
    {
        try
        {
            return Image.Load<Rgb24>(_configuration, stream);
        }
        catch (InvalidImageContentException ex)
        {
            throw new ImageLoadException(DeadLetterReasons.ImageTruncated, imageUri,
                $"Image {path} is corrupt or truncated ({ex.Message}); re-export the file.", ex);
        }
        catch (InvalidMemoryOperationException ex)
        {
            throw new ImageLoadException(DeadLetterReasons.ImageTooLarge, imageUri,
                $"Decoding image {path} needs more than {_options.AllocationLimitMegabytes} MB; downscale it or raise AllocationLimitMegabytes.", ex);
        }
        catch (Exception ex) when (ex is NotSupportedException or ImageFormatException)
        {
            throw new ImageLoadException(DeadLetterReasons.ImageUnsupported, imageUri,
                $"Image {path} uses an unsupported encoding ({ex.Message}); convert it to JPEG, PNG or strip RGB TIFF.", ex);
        }
    }

    private float[] ToNormalisedChw(Image<Rgb24> image)
    {
        int size = _options.InputSize;
        int plane = size * size;
        var pixels = new float[3 * plane];

        image.ProcessPixelRows(accessor =>
        {
            for (int y = 0; y < accessor.Height; y++)
            {
                var row = accessor.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                {
                    int offset = y * size + x;
                    pixels[offset] = (row[x].R / 255f - ChannelMean[0]) / ChannelStd[0];
                    pixels[plane + offset] = (row[x].G / 255f - ChannelMean[1]) / ChannelStd[1];
                    pixels[2 * plane + offset] = (row[x].B / 255f - ChannelMean[2]) / ChannelStd[2];
                }
            }
        });

        return pixels;
    }

    // Follows symbolic links in every existing component of the path, so a link inside the root that
    // points outside it is detected. Components that do not exist are appended unchanged.
    private static string ResolveRealPath(string fullPath)
    {
        var root = Path.GetPathRoot(fullPath) ?? "/";
        var current = root;
        var parts = fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);

        for (int i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (!info.Exists)
            {
                return Path.Combine([current, .. parts[i..]]);
            }

            if (info.LinkTarget is not null)
            {
                var target = info.ResolveLinkTarget(returnFinalTarget: true);
                next = target is null ? next : Path.GetFullPath(target.FullName);
            }

            current = next;
        }

        return current;
    }
}
