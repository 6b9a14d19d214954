using System.Buffers.Binary;
using RsStreamCurate.Contracts;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RsStreamCurate.Scoring.Tests;

public sealed class ImageLoaderTests : IDisposable
{
    private readonly DirectoryInfo _root = TestData.CreateScratchFolder();
    private readonly DirectoryInfo _outside = TestData.CreateScratchFolder();

    public void Dispose()
    {
        _root.Delete(recursive: true);
        _outside.Delete(recursive: true);
    }

    private ImageLoader CreateLoader(long maxPixels = 40_000_000) =>
        new(new ImageLoaderOptions { ImageRoot = _root.FullName, InputSize = 64, MaxPixels = maxPixels });

    private string CopyRsicdImage(string name)
    {
        var target = Path.Combine(_root.FullName, name);
        File.Copy(Path.Combine(TestData.RsicdFolder, "images", "airport_10.jpg"), target);
        return target;
    }

    private static string ReasonOf(ImageLoader loader, string uri) =>
        Assert.Throws<ImageLoadException>(() => loader.Load(uri)).Reason;

    [Fact]
    public void Jpeg_loads_as_normalised_chw()
    {
        CopyRsicdImage("good.jpg");

        var pixels = CreateLoader().Load("good.jpg");

        Assert.Equal(3 * 64 * 64, pixels.Length);
        Assert.All(pixels, value => Assert.InRange(value, -2.2f, 2.7f));
        Assert.True(pixels.Distinct().Count() > 100, "a real photo should give many distinct pixel values");
    }

    [Fact]
    public void Png_in_subfolder_loads()
    {
        Directory.CreateDirectory(Path.Combine(_root.FullName, "sub"));
        using (var image = new Image<Rgb24>(80, 50, new Rgb24(255, 0, 0)))
        {
            image.SaveAsPng(Path.Combine(_root.FullName, "sub", "red.png"));
        }

        var pixels = CreateLoader().Load("sub/red.png");

        Assert.Equal((1f - 0.485f) / 0.229f, pixels[0], 3);
        Assert.Equal((0f - 0.456f) / 0.224f, pixels[64 * 64], 3);
    }

    [Fact]
    public void Rgb_tiff_loads()
    {
        var loader = new ImageLoader(new ImageLoaderOptions { ImageRoot = TestData.UcmImages, InputSize = 64 });

        var pixels = loader.Load("1.tif");

        Assert.Equal(3 * 64 * 64, pixels.Length);
        Assert.True(pixels.Distinct().Count() > 100, "the UCM farmland tile should give many distinct pixel values");
    }

    [Fact]
    public void Missing_file_is_not_found()
    {
        Assert.Equal(DeadLetterReasons.ImageNotFound, ReasonOf(CreateLoader(), "missing.jpg"));
    }

    [Fact]
    public void Zero_byte_file_is_empty()
    {
        File.WriteAllBytes(Path.Combine(_root.FullName, "empty.jpg"), []);

        Assert.Equal(DeadLetterReasons.ImageEmpty, ReasonOf(CreateLoader(), "empty.jpg"));
    }

    [Fact]
    public void Jpeg_without_end_marker_is_truncated()
    {
        var full = File.ReadAllBytes(Path.Combine(TestData.RsicdFolder, "images", "airport_10.jpg"));
        File.WriteAllBytes(Path.Combine(_root.FullName, "cut.jpg"), full[..(full.Length / 2)]);

        Assert.Equal(DeadLetterReasons.ImageTruncated, ReasonOf(CreateLoader(), "cut.jpg"));
    }

    [Fact]
    public void Png_header_claiming_30000_square_is_too_large()
    {
        File.WriteAllBytes(Path.Combine(_root.FullName, "huge.png"), PngHeaderOnly(30000, 30000));

        Assert.Equal(DeadLetterReasons.ImageTooLarge, ReasonOf(CreateLoader(), "huge.png"));
    }

    [Fact]
    public void Real_png_above_pixel_cap_is_too_large()
    {
        using (var image = new Image<Rgb24>(300, 200))
        {
            image.SaveAsPng(Path.Combine(_root.FullName, "blank.png"));
        }

        Assert.Equal(DeadLetterReasons.ImageTooLarge, ReasonOf(CreateLoader(maxPixels: 50_000), "blank.png"));
    }

    [Fact]
    public void File_above_byte_cap_is_too_large()
    {
        CopyRsicdImage("big.jpg");
        var loader = new ImageLoader(new ImageLoaderOptions { ImageRoot = _root.FullName, MaxFileBytes = 1000 });

        Assert.Equal(DeadLetterReasons.ImageTooLarge, ReasonOf(loader, "big.jpg"));
    }

    [Fact]
    public void Text_file_is_unsupported()
    {
        File.WriteAllText(Path.Combine(_root.FullName, "notes.png"), "this is not an image\n");

        Assert.Equal(DeadLetterReasons.ImageUnsupported, ReasonOf(CreateLoader(), "notes.png"));
    }

    [Fact]
    public void Tiled_tiff_is_unsupported()
    {
        File.WriteAllBytes(Path.Combine(_root.FullName, "tiled.tif"), TiledRgbTiff(16));

        Assert.Equal(DeadLetterReasons.ImageUnsupported, ReasonOf(CreateLoader(), "tiled.tif"));
    }

    [Theory]
    [InlineData("../outside.jpg")]
    [InlineData("sub/../../outside.jpg")]
    [InlineData("/etc/hostname")]
    public void Path_escaping_root_is_rejected(string uri)
    {
        Assert.Equal(DeadLetterReasons.PathOutsideImageRoot, ReasonOf(CreateLoader(), uri));
    }

    [Fact]
    public void Symlink_escaping_root_is_rejected()
    {
        var outsideFile = Path.Combine(_outside.FullName, "secret.jpg");
        File.Copy(Path.Combine(TestData.RsicdFolder, "images", "airport_10.jpg"), outsideFile);
        File.CreateSymbolicLink(Path.Combine(_root.FullName, "link.jpg"), outsideFile);
        Directory.CreateSymbolicLink(Path.Combine(_root.FullName, "linkdir"), _outside.FullName);

        var loader = CreateLoader();

        Assert.Equal(DeadLetterReasons.PathOutsideImageRoot, ReasonOf(loader, "link.jpg"));
        Assert.Equal(DeadLetterReasons.PathOutsideImageRoot, ReasonOf(loader, "linkdir/secret.jpg"));
    }

    [Fact]
    public void Symlink_inside_root_loads()
    {
        var target = CopyRsicdImage("target.jpg");
        File.CreateSymbolicLink(Path.Combine(_root.FullName, "alias.jpg"), target);

        Assert.Equal(3 * 64 * 64, CreateLoader().Load("alias.jpg").Length);
    }

    // A PNG signature and a valid IHDR chunk for an 8-bit RGB image, with no image data after it.
    private static byte[] PngHeaderOnly(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = 2;

        var chunk = new List<byte>();
        chunk.AddRange(BigEndian(13));
        var typeAndData = "IHDR"u8.ToArray().Concat(ihdr).ToArray();
        chunk.AddRange(typeAndData);
        chunk.AddRange(BigEndian((int)Crc32(typeAndData)));

        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        return [.. signature, .. chunk];
    }

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    // CRC-32 as PNG defines it (ISO 3309 polynomial, reflected).
    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }

    // A little-endian baseline RGB TIFF stored as one uncompressed tile of size x size pixels.
    private static byte[] TiledRgbTiff(int size)
    {
        const int entryCount = 11;
        const int ifdOffset = 8;
        int bitsOffset = ifdOffset + 2 + entryCount * 12 + 4;
        int tileOffset = bitsOffset + 6;
        int tileBytes = size * size * 3;

        var stream = new MemoryStream();
        var writer = new BinaryWriter(stream);
        writer.Write("II"u8);
        writer.Write((ushort)42);
        writer.Write(ifdOffset);
        writer.Write((ushort)entryCount);

        void Entry(ushort tag, ushort type, int count, int value)
        {
            writer.Write(tag);
            writer.Write(type);
            writer.Write(count);
            if (type == 3 && count == 1)
            {
                writer.Write((ushort)value);
                writer.Write((ushort)0);
            }
            else
            {
                writer.Write(value);
            }
        }

        const ushort Short = 3, Long = 4;
        Entry(256, Short, 1, size);
        Entry(257, Short, 1, size);
        Entry(258, Short, 3, bitsOffset);
        Entry(259, Short, 1, 1);
        Entry(262, Short, 1, 2);
        Entry(277, Short, 1, 3);
        Entry(284, Short, 1, 1);
        Entry(322, Short, 1, size);
        Entry(323, Short, 1, size);
        Entry(324, Long, 1, tileOffset);
        Entry(325, Long, 1, tileBytes);
        writer.Write(0);

        writer.Write((ushort)8);
        writer.Write((ushort)8);
        writer.Write((ushort)8);
        writer.Write(Enumerable.Range(0, tileBytes).Select(i => (byte)(i % 251)).ToArray());
        writer.Flush();
        return stream.ToArray();
    }
}
