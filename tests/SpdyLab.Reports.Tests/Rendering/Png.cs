using System.Buffers.Binary;

namespace SpdyLab.Reports.Tests.Rendering;

/// <summary>Reads what the tests need of a PNG: the signature and the IHDR chunk's size (PNG spec §11.2.2).</summary>
internal static class Png
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// +--------+--------+------+-------+--------+
    /// | 8 sig  | len(4) | IHDR | width | height | ...
    /// +--------+--------+------+-------+--------+
    /// </summary>
    public static (int Width, int Height) ReadSize(byte[] png)
    {
        Assert.That(png.Length, Is.GreaterThan(33), "PNG too short");
        Assert.That(png.AsSpan(0, 8).ToArray(), Is.EqualTo(Signature), "PNG signature");
        Assert.That(System.Text.Encoding.ASCII.GetString(png, 12, 4), Is.EqualTo("IHDR"), "first chunk is IHDR");
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }
}
