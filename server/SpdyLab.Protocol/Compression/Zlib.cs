using System.Runtime.InteropServices;

namespace SpdyLab.Protocol.Compression;

/// <summary>
/// P/Invoke to the system zlib (libz.so.1). .NET's ZLibStream has no preset-dictionary API, and SPDY needs
/// deflateSetDictionary / inflateSetDictionary with the version's dictionary (spdy3 §2.6.10.1).
/// The z_stream lives in native memory because zlib keeps a pointer back to it (state->strm).
/// </summary>
internal static unsafe partial class Zlib
{
    private const string Library = "libz.so.1";

    public const int Ok = 0;
    public const int StreamEnd = 1;
    public const int NeedDict = 2;
    public const int StreamError = -2;
    public const int DataError = -3;
    public const int MemError = -4;
    public const int BufError = -5;

    public const int NoFlush = 0;
    public const int SyncFlush = 2;
    public const int Deflated = 8;
    public const int DefaultStrategy = 0;

    /// <summary>z_stream for LP64 (uLong = 64 bits), zlib.h.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ZStream
    {
        public byte* NextIn;
        public uint AvailIn;
        public CULong TotalIn;
        public byte* NextOut;
        public uint AvailOut;
        public CULong TotalOut;
        public sbyte* Msg;
        public void* State;
        public void* ZAlloc;
        public void* ZFree;
        public void* Opaque;
        public int DataType;
        public CULong Adler;
        public CULong Reserved;
    }

    [LibraryImport(Library, EntryPoint = "zlibVersion")]
    public static partial sbyte* Version();

    [LibraryImport(Library, EntryPoint = "deflateInit2_")]
    public static partial int DeflateInit2(ZStream* strm, int level, int method, int windowBits, int memLevel, int strategy, sbyte* version, int streamSize);

    [LibraryImport(Library, EntryPoint = "deflateSetDictionary")]
    public static partial int DeflateSetDictionary(ZStream* strm, byte* dictionary, uint dictLength);

    [LibraryImport(Library, EntryPoint = "deflate")]
    public static partial int Deflate(ZStream* strm, int flush);

    [LibraryImport(Library, EntryPoint = "deflateEnd")]
    public static partial int DeflateEnd(ZStream* strm);

    [LibraryImport(Library, EntryPoint = "inflateInit_")]
    public static partial int InflateInit(ZStream* strm, sbyte* version, int streamSize);

    [LibraryImport(Library, EntryPoint = "inflateSetDictionary")]
    public static partial int InflateSetDictionary(ZStream* strm, byte* dictionary, uint dictLength);

    [LibraryImport(Library, EntryPoint = "inflate")]
    public static partial int Inflate(ZStream* strm, int flush);

    [LibraryImport(Library, EntryPoint = "inflateEnd")]
    public static partial int InflateEnd(ZStream* strm);

    public static string Describe(ZStream* strm, int code)
    {
        var message = strm->Msg is null ? null : new string(strm->Msg);
        return message is null ? $"zlib error {code}" : $"zlib error {code}: {message}";
    }
}
