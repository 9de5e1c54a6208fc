using System.Runtime.InteropServices;

namespace SpdyLab.Protocol.Tests.TestPeer;

/// <summary>
/// The test peer's own zlib binding (deliberately not the production one): one deflate and one inflate context,
/// primed with the dictionary bytes read from the spec folder's .bin files.
/// </summary>
internal sealed unsafe class PeerZlib : IDisposable
{
    [StructLayout(LayoutKind.Sequential)]
    private struct ZStream
    {
        public byte* NextIn;
        public uint AvailIn;
        public CULong TotalIn;
        public byte* NextOut;
        public uint AvailOut;
        public CULong TotalOut;
        public IntPtr Msg;
        public IntPtr State;
        public IntPtr ZAlloc;
        public IntPtr ZFree;
        public IntPtr Opaque;
        public int DataType;
        public CULong Adler;
        public CULong Reserved;
    }

    [DllImport("libz.so.1")]
    private static extern IntPtr zlibVersion();

    [DllImport("libz.so.1")]
    private static extern int deflateInit2_(ZStream* strm, int level, int method, int windowBits, int memLevel, int strategy, IntPtr version, int size);

    [DllImport("libz.so.1")]
    private static extern int deflateSetDictionary(ZStream* strm, byte* dict, uint length);

    [DllImport("libz.so.1")]
    private static extern int deflate(ZStream* strm, int flush);

    [DllImport("libz.so.1")]
    private static extern int deflateEnd(ZStream* strm);

    [DllImport("libz.so.1")]
    private static extern int inflateInit_(ZStream* strm, IntPtr version, int size);

    [DllImport("libz.so.1")]
    private static extern int inflateSetDictionary(ZStream* strm, byte* dict, uint length);

    [DllImport("libz.so.1")]
    private static extern int inflate(ZStream* strm, int flush);

    [DllImport("libz.so.1")]
    private static extern int inflateEnd(ZStream* strm);

    private readonly byte[] _dictionary;
    private readonly ZStream* _deflate;
    private readonly ZStream* _inflate;
    private byte[]? _inflateOutput;

    public PeerZlib(byte[] dictionary, int level = 6)
    {
        _dictionary = dictionary;
        _deflate = (ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZStream));
        _inflate = (ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZStream));
        Check(deflateInit2_(_deflate, level, 8, 15, 8, 0, zlibVersion(), sizeof(ZStream)), "deflateInit2");
        fixed (byte* dict = _dictionary)
        {
            Check(deflateSetDictionary(_deflate, dict, (uint)_dictionary.Length), "deflateSetDictionary");
        }

        Check(inflateInit_(_inflate, zlibVersion(), sizeof(ZStream)), "inflateInit");
    }

    public static byte[] LoadDictionary(SpdyVersion version) =>
        File.ReadAllBytes(Path.Combine(SpecFolder, version == SpdyVersion.Spdy2 ? "spdy2-dictionary.bin" : "spdy3-dictionary.bin"));

    /// <summary>The spec folder shipped with the lab; falls back to the project's own copy of the dictionaries.</summary>
    private static string SpecFolder
    {
        get
        {
            var shared = "/work/shared/spec";
            if (File.Exists(Path.Combine(shared, "spdy3-dictionary.bin")))
            {
                return shared;
            }

            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SpdyLab.sln")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? ".", "server", "SpdyLab.Protocol", "Dictionaries");
        }
    }

    public byte[] Compress(byte[] raw)
    {
        var output = new byte[raw.Length + 1024];
        fixed (byte* input = raw)
        fixed (byte* outBuffer = output)
        {
            _deflate->NextIn = input;
            _deflate->AvailIn = (uint)raw.Length;
            _deflate->NextOut = outBuffer;
            _deflate->AvailOut = (uint)output.Length;
            Check(deflate(_deflate, 2), "deflate");
            if (_deflate->AvailIn != 0 || _deflate->AvailOut == 0)
            {
                throw new InvalidOperationException("test deflate buffer too small");
            }

            return output.AsSpan(0, output.Length - (int)_deflate->AvailOut).ToArray();
        }
    }

    public byte[] Decompress(byte[] compressed)
    {
        var output = _inflateOutput ??= new byte[1 << 20]; // reused: callers get a copy
        fixed (byte* input = compressed)
        fixed (byte* outBuffer = output)
        {
            _inflate->NextIn = input;
            _inflate->AvailIn = (uint)compressed.Length;
            _inflate->NextOut = outBuffer;
            _inflate->AvailOut = (uint)output.Length;
            var code = inflate(_inflate, 2);
            if (code == 2)
            {
                fixed (byte* dict = _dictionary)
                {
                    Check(inflateSetDictionary(_inflate, dict, (uint)_dictionary.Length), "inflateSetDictionary");
                }

                code = inflate(_inflate, 2);
            }

            if (code != 0 && !(code == -5 && _inflate->AvailIn == 0))
            {
                throw new InvalidOperationException($"test inflate failed: {code}");
            }

            return output.AsSpan(0, output.Length - (int)_inflate->AvailOut).ToArray();
        }
    }

    private static void Check(int code, string what)
    {
        if (code != 0)
        {
            throw new InvalidOperationException($"{what} failed: {code}");
        }
    }

    public void Dispose()
    {
        deflateEnd(_deflate);
        inflateEnd(_inflate);
        NativeMemory.Free(_deflate);
        NativeMemory.Free(_inflate);
    }
}
