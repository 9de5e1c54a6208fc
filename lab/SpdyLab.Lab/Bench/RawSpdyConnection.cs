using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using SpdyLab.Protocol.Compression;

namespace SpdyLab.Lab.Bench;

/// <summary>
/// The raw-frame generator's SPDY/3.1 side (spdy3.1.md). Written apart from the engine on purpose: only the
/// dictionary bytes are shared, so an engine bug cannot hide itself by being on both ends.
/// </summary>
internal sealed class RawSpdyConnection : RawConnection
{
    private const int Version = 3; // "version 3.1, which is represented as version 3" (§2.2.1)
    private const int SynStream = 1, SynReply = 2, RstStream = 3, Settings = 4, Ping = 6, GoAway = 7, Headers = 8, WindowUpdate = 9;
    private const byte FlagFin = 0x01;
    private const int SettingsInitialWindowSize = 7;

    /// <summary>Identical compressed blocks in a row after which the output is taken as steady.</summary>
    internal const int SteadyAfterRepeats = 2;

    private readonly byte[] _rawHeaderBlock;
    private readonly RawDeflater _deflater = new();

    // The last compressed block and how many times in a row deflate gave exactly it. Every SYN_STREAM carries the
    // same name/value block, and after the first few the best match for it is the previous copy at the same
    // distance, so zlib's output repeats byte for byte from then on (9 bytes here; checked for 60,000 blocks of
    // 16 path/host variants, and by RawLoadTests, which inflate the generator's blocks). Once steady, those bytes
    // are sent without running deflate: the server still inflates every block in its session's context, exactly
    // as if the generator had compressed it, but the generator no longer spends level-9 deflate time on the
    // cores it shares with the server. The HTTP/2 side sends a fixed HPACK block, so this makes the two alike.
    private byte[] _lastCompressedBlock = [];
    private int _repeats;

    public RawSpdyConnection(RawLoadSettings settings, long measureStart, long end, long drainEnd)
        : base(settings, measureStart, end, drainEnd)
    {
        _rawHeaderBlock = HeaderBlock(
            (":method", "GET"),
            (":path", settings.Path),
            (":version", "HTTP/1.1"),
            (":host", $"{settings.EndPoint.Address}:{settings.EndPoint.Port}"),
            (":scheme", "http"));
    }

    public override void Dispose() => _deflater.Dispose();

    /// <summary>
    /// The uncompressed name/value block (§2.6.10), built once:
    /// <code>
    /// | Number of Name/Value pairs (int32) |
    /// |     Length of name (int32)         |
    /// |           Name (string)            |
    /// |     Length of value  (int32)       |
    /// |          Value   (string)          |
    /// |           (repeats)                |
    /// </code>
    /// </summary>
    private static byte[] HeaderBlock(params (string Name, string Value)[] pairs)
    {
        using var block = new MemoryStream();
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, pairs.Length);
        block.Write(number);
        foreach (var (name, value) in pairs)
        {
            foreach (var text in new[] { name, value })
            {
                var bytes = Encoding.ASCII.GetBytes(text);
                BinaryPrimitives.WriteInt32BigEndian(number, bytes.Length);
                block.Write(number);
                block.Write(bytes);
            }
        }
        return block.ToArray();
    }

    /// <summary>
    /// Control frame header (§2.2.1):
    /// <code>
    /// +----------------------------------+
    /// |C| Version(15bits) | Type(16bits) |
    /// +----------------------------------+
    /// | Flags (8)  |  Length (24 bits)   |
    /// +----------------------------------+
    /// |               Data               |
    /// +----------------------------------+
    /// </code>
    /// </summary>
    private static void ControlHeader(Span<byte> frame, int type, byte flags, int length)
    {
        BinaryPrimitives.WriteUInt16BigEndian(frame, 0x8000 | Version);
        BinaryPrimitives.WriteUInt16BigEndian(frame[2..], (ushort)type);
        frame[4] = flags;
        Wire.UInt24(frame[5..], length);
    }

    /// <summary>
    /// SETTINGS INITIAL_WINDOW_SIZE (§2.6.4) opens every stream's window wide; a WINDOW_UPDATE on stream 0
    /// (§2.6.8: the session window starts at 64 KB and SETTINGS cannot change it) opens the session's.
    /// <code>
    /// | Number of entries (32) | Flags (8) | ID (24 bits) | Value (32 bits) | ...
    /// </code>
    /// </summary>
    protected override void WritePreface()
    {
        var settings = Out.Take(8 + 4 + 8);
        ControlHeader(settings, Settings, 0, 12);
        BinaryPrimitives.WriteInt32BigEndian(settings[8..], 1);
        BinaryPrimitives.WriteInt32BigEndian(settings[12..], SettingsInitialWindowSize); // flags 0, ID 7
        BinaryPrimitives.WriteInt32BigEndian(settings[16..], RawLoad.StreamWindow);
        WriteConnectionWindowUpdate(RawLoad.ConnectionWindow - 65536);
    }

    /// <summary>
    /// SYN_STREAM with FLAG_FIN (§2.6.1); the header block is compressed in the session's one zlib context (§2.6.10.1).
    /// <code>
    /// +------------------------------------+
    /// |1|    version    |         1        |
    /// +------------------------------------+
    /// |  Flags (8)  |  Length (24 bits)    |
    /// +------------------------------------+
    /// |X|           Stream-ID (31bits)     |
    /// +------------------------------------+
    /// |X| Associated-To-Stream-ID (31bits) |
    /// +------------------------------------+
    /// | Pri|Unused | Slot |                |
    /// +-------------------+                |
    /// | Number of Name/Value pairs (int32) |   &lt;+  (compressed from here on)
    /// | ...                                |
    /// </code>
    /// </summary>
    protected override void WriteRequest(int streamId)
    {
        var room = _rawHeaderBlock.Length + 64;
        var frame = Out.Take(18 + room);
        var compressed = CompressHeaderBlock(frame[18..]);
        ControlHeader(frame, SynStream, FlagFin, 10 + compressed);
        BinaryPrimitives.WriteInt32BigEndian(frame[8..], streamId);
        BinaryPrimitives.WriteInt32BigEndian(frame[12..], 0);
        frame[16] = 0; // priority 0 (highest), unused bits
        frame[17] = 0; // slot
        Out.Shrink(room - compressed);
    }

    /// <summary>The SYN_STREAM frame for streamId as it would be sent (for tests: the bytes a server reads).</summary>
    internal byte[] RequestFrame(int streamId)
    {
        Out.Clear();
        WriteRequest(streamId);
        return Out.Buffer.AsSpan(0, Out.Length).ToArray();
    }

    /// <summary>True once the compressed header block repeats and is sent without running deflate.</summary>
    internal bool HeaderBlockSteady => _repeats >= SteadyAfterRepeats;

    /// <summary>The session's next compressed name/value block (§2.6.10.1) into output; answers its length.</summary>
    private int CompressHeaderBlock(Span<byte> output)
    {
        if (HeaderBlockSteady)
        {
            _lastCompressedBlock.CopyTo(output);
            return _lastCompressedBlock.Length;
        }
        var length = _deflater.Compress(_rawHeaderBlock, output);
        var block = output[..length];
        if (block.SequenceEqual(_lastCompressedBlock))
        {
            _repeats++;
        }
        else
        {
            _lastCompressedBlock = block.ToArray();
            _repeats = 0;
        }
        return length;
    }

    /// <summary>
    /// WINDOW_UPDATE (§2.6.8), stream 0 = the session window (SPDY/3.1):
    /// <code>
    /// |1|   version    |         9       |
    /// | 0 (flags) |     8 (length)       |
    /// |X|     Stream-ID (31-bits)        |
    /// |X|  Delta-Window-Size (31-bits)   |
    /// </code>
    /// </summary>
    protected override void WriteConnectionWindowUpdate(int delta)
    {
        var frame = Out.Take(16);
        ControlHeader(frame, WindowUpdate, 0, 8);
        BinaryPrimitives.WriteInt32BigEndian(frame[8..], 0);
        BinaryPrimitives.WriteInt32BigEndian(frame[12..], delta);
    }

    protected override int FrameLength(ReadOnlySpan<byte> buffered) => buffered.Length < 8 ? 0 : 8 + Wire.UInt24(buffered[5..]);

    /// <summary>
    /// Data frame (§2.2.2) or a control frame; only what the count needs is read:
    /// <code>
    /// +----------------------------------+
    /// |C|       Stream-ID (31bits)       |
    /// +----------------------------------+
    /// | Flags (8)  |  Length (24 bits)   |
    /// +----------------------------------+
    /// |               Data               |
    /// </code>
    /// </summary>
    protected override void OnFrame(ReadOnlySpan<byte> frame)
    {
        var flags = frame[4];
        var length = frame.Length - 8;
        if ((frame[0] & 0x80) == 0)
        {
            OnData(Wire.StreamId(frame), length, length, (flags & FlagFin) != 0);
            return;
        }

        var version = BinaryPrimitives.ReadUInt16BigEndian(frame) & 0x7fff;
        if (version != Version)
        {
            throw new InvalidDataException($"control frame of SPDY version {version}, expected {Version}");
        }
        switch (BinaryPrimitives.ReadUInt16BigEndian(frame[2..]))
        {
            case SynReply when length >= 4:
            case Headers when length >= 4:
                // The headers are not inflated (nothing here reads them, and the zlib context only matters to
                // a reader); a reply with FLAG_FIN is a response without a body.
                if ((flags & FlagFin) != 0)
                {
                    OnEndOfStream(Wire.StreamId(frame[8..]));
                }
                break;
            case RstStream when length >= 8: // §2.6.3: stream-id, status code
                OnReset(Wire.StreamId(frame[8..]), BinaryPrimitives.ReadUInt32BigEndian(frame[12..]));
                break;
            case Ping when length == 4: // §2.6.5: the receiver sends the PING back unchanged (the server's are even ids)
                frame.CopyTo(Out.Take(frame.Length));
                break;
            case GoAway when length >= 8: // §2.6.6: last-good-stream-id, status code
                OnGoAway(BinaryPrimitives.ReadUInt32BigEndian(frame[12..]));
                break;
            case Settings or WindowUpdate:
                break; // our requests carry no body: the send windows do not matter
            default:
                break; // §2.2.1: unknown control frames are ignored
        }
    }
}

/// <summary>
/// A zlib deflate context primed with the SPDY/3 dictionary, each block ended with Z_SYNC_FLUSH
/// (spdy3.1 §2.6.10.1), at the parameters Chromium used (level 9, 2 KB window, memLevel 1), like our client.
/// </summary>
internal sealed unsafe partial class RawDeflater : IDisposable
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
        public sbyte* Msg;
        public void* State;
        public void* ZAlloc;
        public void* ZFree;
        public void* Opaque;
        public int DataType;
        public CULong Adler;
        public CULong Reserved;
    }

    [LibraryImport("libz.so.1", EntryPoint = "zlibVersion")]
    private static partial sbyte* ZlibVersion();

    [LibraryImport("libz.so.1", EntryPoint = "deflateInit2_")]
    private static partial int DeflateInit2(ZStream* strm, int level, int method, int windowBits, int memLevel, int strategy, sbyte* version, int streamSize);

    [LibraryImport("libz.so.1", EntryPoint = "deflateSetDictionary")]
    private static partial int DeflateSetDictionary(ZStream* strm, byte* dictionary, uint length);

    [LibraryImport("libz.so.1", EntryPoint = "deflate")]
    private static partial int Deflate(ZStream* strm, int flush);

    [LibraryImport("libz.so.1", EntryPoint = "deflateEnd")]
    private static partial int DeflateEnd(ZStream* strm);

    private ZStream* _stream;

    public RawDeflater()
    {
        _stream = (ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZStream));
        if (DeflateInit2(_stream, 9, 8, 11, 1, 0, ZlibVersion(), sizeof(ZStream)) != 0)
        {
            NativeMemory.Free(_stream);
            _stream = null;
            throw new InvalidOperationException("deflateInit2 failed");
        }
        var dictionary = SpdyDictionaries.Spdy3.Span;
        fixed (byte* d = dictionary)
        {
            if (DeflateSetDictionary(_stream, d, (uint)dictionary.Length) != 0)
            {
                throw new InvalidOperationException("deflateSetDictionary failed");
            }
        }
    }

    /// <summary>Compresses one block with Z_SYNC_FLUSH into output; answers the compressed length.</summary>
    public int Compress(ReadOnlySpan<byte> block, Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(_stream is null, this);
        fixed (byte* input = block)
        fixed (byte* outputPointer = output)
        {
            _stream->NextIn = input;
            _stream->AvailIn = (uint)block.Length;
            _stream->NextOut = outputPointer;
            _stream->AvailOut = (uint)output.Length;
            var code = Deflate(_stream, 2 /* Z_SYNC_FLUSH */);
            if (code != 0 || _stream->AvailIn != 0 || _stream->AvailOut == 0)
            {
                throw new InvalidOperationException($"deflate failed (code {code}, {_stream->AvailIn} bytes left, {_stream->AvailOut} bytes of room)");
            }
            return output.Length - (int)_stream->AvailOut;
        }
    }

    public void Dispose()
    {
        if (_stream is not null)
        {
            DeflateEnd(_stream);
            NativeMemory.Free(_stream);
            _stream = null;
        }
    }
}
