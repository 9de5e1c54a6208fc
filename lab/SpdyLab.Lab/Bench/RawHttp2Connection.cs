using System.Buffers.Binary;
using System.Text;

namespace SpdyLab.Lab.Bench;

/// <summary>
/// The raw-frame generator's HTTP/2 side (RFC 9113, cleartext with prior knowledge, §3.3), the same design as
/// <see cref="RawSpdyConnection"/>: requests pre-built, responses counted, not decoded.
/// </summary>
internal sealed class RawHttp2Connection : RawConnection
{
    private const byte Data = 0x0, HeadersType = 0x1, RstStream = 0x3, Settings = 0x4, Ping = 0x6, GoAway = 0x7;
    private const byte WindowUpdate = 0x8;
    private const byte FlagEndStream = 0x1, FlagAck = 0x1, FlagEndHeaders = 0x4, FlagPadded = 0x8;
    private const ushort SettingsEnablePush = 0x2, SettingsInitialWindowSize = 0x4;

    /// <summary>RFC 9113 §3.4: the client connection preface starts with this string.</summary>
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    private readonly byte[] _headerBlock;

    public RawHttp2Connection(RawLoadSettings settings, long measureStart, long end, long drainEnd)
        : base(settings, measureStart, end, drainEnd)
    {
        // RFC 7541: indexed fields from the static table (Appendix A: 2 = :method GET, 6 = :scheme http) and
        // literals without indexing with an indexed name (§6.2.2: 0000 + 4-bit index; 4 = :path, 1 = :authority),
        // so the block never touches the dynamic table and one copy serves every request.
        var block = new List<byte> { 0x82, 0x86 };
        AddLiteral(block, 4, settings.Path);
        AddLiteral(block, 1, $"{settings.EndPoint.Address}:{settings.EndPoint.Port}");
        _headerBlock = [.. block];
    }

    private static void AddLiteral(List<byte> block, int nameIndex, string value)
    {
        block.Add((byte)nameIndex);
        var bytes = Encoding.ASCII.GetBytes(value);
        // §5.2 string literal, H = 0, length as a 7-bit prefix integer (§5.1).
        var length = bytes.Length;
        if (length < 127)
        {
            block.Add((byte)length);
        }
        else
        {
            block.Add(127);
            length -= 127;
            while (length >= 128)
            {
                block.Add((byte)(length % 128 + 128));
                length /= 128;
            }
            block.Add((byte)length);
        }
        block.AddRange(bytes);
    }

    /// <summary>
    /// Frame header (RFC 9113 §4.1):
    /// <code>
    /// +-----------------------------------------------+
    /// |                 Length (24)                   |
    /// +---------------+---------------+---------------+
    /// |   Type (8)    |   Flags (8)   |
    /// +-+-------------+---------------+-------------------------------+
    /// |R|                 Stream Identifier (31)                      |
    /// +=+=============================================================+
    /// |                   Frame Payload (0...)                      ...
    /// </code>
    /// </summary>
    private Span<byte> Frame(byte type, byte flags, int streamId, int length)
    {
        var frame = Out.Take(9 + length);
        Wire.UInt24(frame, length);
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame[5..], streamId);
        return frame[9..];
    }

    /// <summary>
    /// The preface (§3.4), then SETTINGS (§6.5.1: 16-bit identifier, 32-bit value each) with push off and
    /// every stream's window wide, then WINDOW_UPDATE on stream 0 (§6.9: the connection window starts at
    /// 65,535 and SETTINGS cannot change it).
    /// </summary>
    protected override void WritePreface()
    {
        Preface.CopyTo(Out.Take(Preface.Length));
        var settings = Frame(Settings, 0, 0, 12);
        BinaryPrimitives.WriteUInt16BigEndian(settings, SettingsEnablePush);
        BinaryPrimitives.WriteUInt32BigEndian(settings[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(settings[6..], SettingsInitialWindowSize);
        BinaryPrimitives.WriteUInt32BigEndian(settings[8..], RawLoad.StreamWindow);
        WriteConnectionWindowUpdate(RawLoad.ConnectionWindow - 65535);
    }

    /// <summary>HEADERS with END_STREAM | END_HEADERS (§6.2), the pre-built block as its field block fragment.</summary>
    protected override void WriteRequest(int streamId) =>
        _headerBlock.CopyTo(Frame(HeadersType, FlagEndStream | FlagEndHeaders, streamId, _headerBlock.Length));

    /// <summary>WINDOW_UPDATE (§6.9): R + 31-bit Window Size Increment.</summary>
    protected override void WriteConnectionWindowUpdate(int delta) =>
        BinaryPrimitives.WriteInt32BigEndian(Frame(WindowUpdate, 0, 0, 4), delta);

    protected override int FrameLength(ReadOnlySpan<byte> buffered) => buffered.Length < 9 ? 0 : 9 + Wire.UInt24(buffered);

    protected override void OnFrame(ReadOnlySpan<byte> frame)
    {
        var type = frame[3];
        var flags = frame[4];
        var streamId = Wire.StreamId(frame[5..]);
        var payload = frame[9..];
        switch (type)
        {
            case Data:
                // §6.1: with PADDED, a Pad Length byte and that many padding octets are not body; the whole
                // payload counts toward flow control.
                var body = payload.Length;
                if ((flags & FlagPadded) != 0)
                {
                    body -= payload.Length == 0 ? 0 : 1 + payload[0];
                    if (body < 0)
                    {
                        throw new InvalidDataException($"DATA on stream {streamId}: padding longer than the payload");
                    }
                }
                OnData(streamId, body, payload.Length, (flags & FlagEndStream) != 0);
                break;
            case HeadersType:
                // The field block is not decoded (the HPACK dynamic table only matters to a reader); END_STREAM
                // on HEADERS ends a response without a body, or one with trailers.
                if ((flags & FlagEndStream) != 0)
                {
                    OnEndOfStream(streamId);
                }
                break;
            case RstStream when payload.Length == 4: // §6.4: Error Code (32)
                OnReset(streamId, BinaryPrimitives.ReadUInt32BigEndian(payload));
                break;
            case Settings when (flags & FlagAck) == 0: // §6.5.3: acknowledge the peer's SETTINGS
                Frame(Settings, FlagAck, 0, 0);
                break;
            case Ping when (flags & FlagAck) == 0 && payload.Length == 8: // §6.7: answer with ACK and the same 8 octets
                payload.CopyTo(Frame(Ping, FlagAck, 0, 8));
                break;
            case GoAway when payload.Length >= 8: // §6.8: Last-Stream-ID (31), Error Code (32)
                OnGoAway(BinaryPrimitives.ReadUInt32BigEndian(payload[4..]));
                break;
            default:
                break; // WINDOW_UPDATE, CONTINUATION, PRIORITY, acknowledgements; §4.1: unknown types are ignored
        }
    }
}
