namespace SpdyLab.Protocol.Compression;

/// <summary>The two header-compression dictionaries, embedded from the spec folder's .bin files.</summary>
public static class SpdyDictionaries
{
    /// <summary>SPDY/2, 907 bytes including the terminating NUL (DICTID 0xdfa251b2).</summary>
    public static ReadOnlyMemory<byte> Spdy2 { get; } = Load("SpdyLab.Protocol.spdy2-dictionary.bin", 907);

    /// <summary>SPDY/3 and 3.1, 1423 bytes (DICTID 0xe3c6a7c2).</summary>
    public static ReadOnlyMemory<byte> Spdy3 { get; } = Load("SpdyLab.Protocol.spdy3-dictionary.bin", 1423);

    private static byte[] Load(string name, int expectedLength)
    {
        using var stream = typeof(SpdyDictionaries).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded dictionary {name} is missing");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        if (bytes.Length != expectedLength)
        {
            throw new InvalidOperationException($"embedded dictionary {name} has {bytes.Length} bytes, expected {expectedLength}");
        }

        return bytes;
    }
}
