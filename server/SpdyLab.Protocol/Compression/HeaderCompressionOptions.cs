namespace SpdyLab.Protocol.Compression;

/// <summary>
/// zlib parameters of the header compressor. The defaults are Chrome's SPDY framer settings (level 9, a 2 KB
/// window, memLevel 1); any setting is decodable by any peer (spdy3 §2.6.10.1, "implementation notes").
/// </summary>
public sealed record HeaderCompressionOptions(int Level = 9, int WindowBits = 11, int MemLevel = 1)
{
    public static HeaderCompressionOptions Default { get; } = new();
}
