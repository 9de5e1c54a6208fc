namespace SpdyLab.Sites.Images;

public enum ImageFormat { Gif, Png, Jpeg }

/// <summary>Makes a decodable image of an exact byte size: a small real picture, padded with a
/// comment (PNG tEXt, GIF comment extension, JPEG COM) up to the size.</summary>
public static class ImageFactory
{
    public static string ContentType(ImageFormat format) => format switch
    {
        ImageFormat.Gif => "image/gif",
        ImageFormat.Png => "image/png",
        _ => "image/jpeg",
    };

    public static string Extension(ImageFormat format) => format switch
    {
        ImageFormat.Gif => "gif",
        ImageFormat.Png => "png",
        _ => "jpg",
    };

    /// <summary>The image and its dimensions; exactly <paramref name="targetSize"/> bytes unless even
    /// the smallest picture is larger (then it is that picture).</summary>
    public static (byte[] Bytes, int Width, int Height) Create(ImageFormat format, int targetSize, int width, int height, int seed)
    {
        width = Math.Max(1, width);
        height = Math.Max(1, height);
        while (true)
        {
            var plain = Encode(format, width, height, seed, 0);
            var gap = targetSize - plain.Length;
            if (gap == 0)
            {
                return (plain, width, height);
            }
            if (gap > 0 && PaddingFits(format, gap))
            {
                var padded = Encode(format, width, height, seed, gap);
                return (padded, width, height);
            }
            if (width == 1 && height == 1)
            {
                return gap > 0 ? (Encode(format, 1, 1, seed, MinimumPadding(format) + gap), 1, 1) : (plain, 1, 1);
            }
            // Too big, or a gap too small for a padding block: shrink the picture and try again.
            width = Math.Max(1, width * 3 / 4);
            height = Math.Max(1, height * 3 / 4);
        }
    }

    static int MinimumPadding(ImageFormat format) => format switch
    {
        ImageFormat.Gif => GifEncoder.MinimumPadding,
        ImageFormat.Png => PngEncoder.MinimumPadding,
        _ => JpegEncoder.MinimumPadding,
    };

    static bool PaddingFits(ImageFormat format, int gap) => format switch
    {
        ImageFormat.Gif => gap == 3 || gap >= 5,
        ImageFormat.Png => gap >= PngEncoder.MinimumPadding,
        _ => gap >= JpegEncoder.MinimumPadding,
    };

    static byte[] Encode(ImageFormat format, int width, int height, int seed, int padding)
    {
        var hue = (byte)(seed * 37);
        switch (format)
        {
            case ImageFormat.Gif:
                if (width * height == 1)
                {
                    // The tracking pixel: one transparent pixel, two colours (43 bytes unpadded).
                    return GifEncoder.Encode(1, 1, [(255, 255, 255), (0, 0, 0)], (_, _) => 0, padding, transparent: true);
                }
                (byte, byte, byte)[] palette = [(255, 255, 255), (hue, 80, 160), (20, 20, 20), (200, (byte)(hue ^ 0x55), 40)];
                return GifEncoder.Encode(width, height, palette, (x, y) => (byte)(((x / 4) + (y / 4) + seed) % 4), padding);
            case ImageFormat.Png:
                string? text = null;
                if (padding > 0)
                {
                    var length = padding - PngEncoder.MinimumPadding;
                    var chars = new char[length];
                    for (var i = 0; i < length; i++)
                    {
                        chars[i] = "SpdyLab synthetic image padding. "[i % 33];
                    }
                    text = new string(chars);
                }
                return PngEncoder.Encode(width, height, (x, y) => ((byte)(x * 255 / Math.Max(1, width)), hue, (byte)(y * 255 / Math.Max(1, height))), text);
            default:
                return JpegEncoder.Encode(width, height, (bx, by) => (byte)(64 + ((bx * 7 + by * 11 + seed) % 128)), padding);
        }
    }
}
