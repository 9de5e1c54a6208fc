using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SpdyLab.Sites.Images;

/// <summary>
/// A small PNG writer (PNG spec, 2nd edition): 8-bit RGB, filter type 0 on every scanline, one IDAT
/// compressed with zlib. Optional padding to an exact file size with a tEXt "Comment" chunk, which
/// every decoder skips.
/// </summary>
public static class PngEncoder
{
    static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Smallest padding a tEXt chunk can add: length, type, "Comment\0", CRC.</summary>
    public const int MinimumPadding = 12 + 8;

    public static byte[] Encode(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel, string? paddingText = null)
    {
        var output = new MemoryStream();
        output.Write(Signature);

        // IHDR (§11.2.2): width(4) height(4) bit depth(1)=8 colour type(1)=2 (truecolour)
        //                 compression(1)=0 filter(1)=0 interlace(1)=0
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = 8;
        ihdr[9] = 2;
        WriteChunk(output, "IHDR", ihdr);

        if (paddingText is not null)
        {
            // tEXt (§11.3.4.3): keyword, NUL, Latin-1 text.
            WriteChunk(output, "tEXt", Encoding.Latin1.GetBytes("Comment\0" + paddingText));
        }

        // Image data (§7.3): each scanline is a filter-type byte (0 = None) followed by RGB triples.
        var raw = new byte[height * (1 + width * 3)];
        var i = 0;
        for (var y = 0; y < height; y++)
        {
            raw[i++] = 0;
            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = pixel(x, y);
                raw[i++] = r;
                raw[i++] = g;
                raw[i++] = b;
            }
        }
        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(raw);
        }
        WriteChunk(output, "IDAT", compressed.ToArray());
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    // Chunk layout (§5.3):  +--------+--------+------------+--------+
    //                       | length | type   | data       | CRC    |   CRC covers type and data
    //                       +--------+--------+------------+--------+
    static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        output.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        var crc = Crc32.Update(Crc32.Update(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        output.Write(word);
    }
}
