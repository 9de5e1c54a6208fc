using System.Buffers;
using System.Buffers.Binary;

namespace SpdyLab.Client.Http2;

/// <summary>Frame types (RFC 9113 §6).</summary>
public enum Http2FrameType : byte
{
    Data = 0x0,
    Headers = 0x1,
    Priority = 0x2,
    RstStream = 0x3,
    Settings = 0x4,
    PushPromise = 0x5,
    Ping = 0x6,
    GoAway = 0x7,
    WindowUpdate = 0x8,
    Continuation = 0x9,
}

/// <summary>Frame flags (RFC 9113 §6); the same bit means different things on different frame types.</summary>
[Flags]
public enum Http2Flags : byte
{
    None = 0,
    EndStream = 0x1,
    Ack = 0x1,
    EndHeaders = 0x4,
    Padded = 0x8,
    Priority = 0x20,
}

/// <summary>Error codes (RFC 9113 §7).</summary>
public enum Http2ErrorCode : uint
{
    NoError = 0x0,
    ProtocolError = 0x1,
    InternalError = 0x2,
    FlowControlError = 0x3,
    SettingsTimeout = 0x4,
    StreamClosed = 0x5,
    FrameSizeError = 0x6,
    RefusedStream = 0x7,
    Cancel = 0x8,
    CompressionError = 0x9,
    ConnectError = 0xa,
    EnhanceYourCalm = 0xb,
    InadequateSecurity = 0xc,
    Http11Required = 0xd,
}

/// <summary>SETTINGS parameters (RFC 9113 §6.5.2).</summary>
public enum Http2SettingId : ushort
{
    HeaderTableSize = 0x1,
    EnablePush = 0x2,
    MaxConcurrentStreams = 0x3,
    InitialWindowSize = 0x4,
    MaxFrameSize = 0x5,
    MaxHeaderListSize = 0x6,
}

/// <summary>
/// A frame's 9-octet header (RFC 9113 §4.1):
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
public readonly record struct Http2FrameHeader(int Length, Http2FrameType Type, Http2Flags Flags, int StreamId)
{
    public const int Size = 9;

    public bool Has(Http2Flags flag) => (Flags & flag) != 0;

    public override string ToString() => $"{Type} stream={StreamId} len={Length} flags=0x{(byte)Flags:x2}";
}

/// <summary>Reads whole frames from the connection's input (RFC 9113 §4).</summary>
public static class Http2FrameReader
{
    /// <summary>
    /// Takes one whole frame off the front of <paramref name="buffer"/>, or returns false when it has not all
    /// arrived. A frame longer than <paramref name="maxFrameSize"/> (our SETTINGS_MAX_FRAME_SIZE) is a
    /// connection error FRAME_SIZE_ERROR (§4.2).
    /// </summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameSize, out Http2FrameHeader header, out byte[] payload)
    {
        header = default;
        payload = [];
        if (buffer.Length < Http2FrameHeader.Size)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[Http2FrameHeader.Size];
        buffer.Slice(0, Http2FrameHeader.Size).CopyTo(head);
        var length = (head[0] << 16) | (head[1] << 8) | head[2];
        var streamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(head[5..]) & 0x7FFFFFFF); // §4.1: R is ignored on receipt
        header = new Http2FrameHeader(length, (Http2FrameType)head[3], (Http2Flags)head[4], streamId);
        if (length > maxFrameSize)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"{header}: longer than our SETTINGS_MAX_FRAME_SIZE {maxFrameSize} (RFC 9113 §4.2)");
        }

        if (buffer.Length < Http2FrameHeader.Size + length)
        {
            return false;
        }

        payload = buffer.Slice(Http2FrameHeader.Size, length).ToArray();
        buffer = buffer.Slice(Http2FrameHeader.Size + length);
        return true;
    }
}

/// <summary>Writes frames into an output buffer (RFC 9113 §6); the connection's one writer owns the buffer.</summary>
public static class Http2FrameWriter
{
    /// <summary>RFC 9113 §3.4: the client connection preface, sent before its SETTINGS.</summary>
    public static ReadOnlySpan<byte> ClientPreface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public static void WriteHeader(IBufferWriter<byte> output, int length, Http2FrameType type, Http2Flags flags, int streamId)
    {
        var span = output.GetSpan(Http2FrameHeader.Size);
        span[0] = (byte)(length >> 16);
        span[1] = (byte)(length >> 8);
        span[2] = (byte)length;
        span[3] = (byte)type;
        span[4] = (byte)flags;
        BinaryPrimitives.WriteUInt32BigEndian(span[5..], (uint)streamId & 0x7FFFFFFF);
        output.Advance(Http2FrameHeader.Size);
    }

    /// <summary>
    /// §6.5 SETTINGS: a sequence of (Identifier (16), Value (32)) on stream 0; with ACK, empty.
    /// </summary>
    public static void WriteSettings(IBufferWriter<byte> output, IReadOnlyList<(Http2SettingId Id, uint Value)> settings)
    {
        WriteHeader(output, settings.Count * 6, Http2FrameType.Settings, Http2Flags.None, 0);
        foreach (var (id, value) in settings)
        {
            var span = output.GetSpan(6);
            BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)id);
            BinaryPrimitives.WriteUInt32BigEndian(span[2..], value);
            output.Advance(6);
        }
    }

    public static void WriteSettingsAck(IBufferWriter<byte> output) => WriteHeader(output, 0, Http2FrameType.Settings, Http2Flags.Ack, 0);

    /// <summary>§6.9 WINDOW_UPDATE: R (1), Window Size Increment (31).</summary>
    public static void WriteWindowUpdate(IBufferWriter<byte> output, int streamId, int increment)
    {
        WriteHeader(output, 4, Http2FrameType.WindowUpdate, Http2Flags.None, streamId);
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), (uint)increment & 0x7FFFFFFF);
        output.Advance(4);
    }

    /// <summary>§6.7 PING: 8 octets of opaque data, echoed with ACK.</summary>
    public static void WritePing(IBufferWriter<byte> output, Http2Flags flags, ReadOnlySpan<byte> opaque)
    {
        WriteHeader(output, 8, Http2FrameType.Ping, flags, 0);
        opaque[..8].CopyTo(output.GetSpan(8));
        output.Advance(8);
    }

    /// <summary>§6.4 RST_STREAM: Error Code (32).</summary>
    public static void WriteRstStream(IBufferWriter<byte> output, int streamId, Http2ErrorCode error)
    {
        WriteHeader(output, 4, Http2FrameType.RstStream, Http2Flags.None, streamId);
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), (uint)error);
        output.Advance(4);
    }

    /// <summary>§6.8 GOAWAY: R (1), Last-Stream-ID (31), Error Code (32), no debug data.</summary>
    public static void WriteGoAway(IBufferWriter<byte> output, int lastStreamId, Http2ErrorCode error)
    {
        WriteHeader(output, 8, Http2FrameType.GoAway, Http2Flags.None, 0);
        var span = output.GetSpan(8);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)lastStreamId & 0x7FFFFFFF);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)error);
        output.Advance(8);
    }

    /// <summary>
    /// §6.2 HEADERS with the PRIORITY flag, then CONTINUATION frames (§6.10) when the block does not fit in
    /// one frame of the peer's SETTINGS_MAX_FRAME_SIZE:
    /// <code>
    /// +-+-------------+-----------------------------------------------+
    /// |E|                 Stream Dependency? (31)                     |
    /// +-+-------------+-----------------------------------------------+
    /// |  Weight? (8)  |
    /// +-+-------------+-----------------------------------------------+
    /// |                   Field Block Fragment (*)                    |
    /// </code>
    /// The weight field carries weight - 1 (§5.3.2 of RFC 7540, where the priority fields are defined).
    /// </summary>
    public static void WriteHeaders(IBufferWriter<byte> output, int streamId, ReadOnlySpan<byte> block, bool endStream, Http2StreamPriority? priority, int maxFrameSize)
    {
        var prefix = priority is null ? 0 : 5;
        var first = Math.Min(block.Length, maxFrameSize - prefix);
        var flags = (endStream ? Http2Flags.EndStream : Http2Flags.None)
            | (first == block.Length ? Http2Flags.EndHeaders : Http2Flags.None)
            | (priority is null ? Http2Flags.None : Http2Flags.Priority);
        WriteHeader(output, prefix + first, Http2FrameType.Headers, flags, streamId);
        if (priority is { } p)
        {
            var span = output.GetSpan(5);
            BinaryPrimitives.WriteUInt32BigEndian(span, (uint)p.DependsOn | (p.Exclusive ? 0x80000000u : 0));
            span[4] = (byte)(p.Weight - 1);
            output.Advance(5);
        }

        output.Write(block[..first]);
        var offset = first;
        while (offset < block.Length)
        {
            var size = Math.Min(block.Length - offset, maxFrameSize);
            WriteHeader(output, size, Http2FrameType.Continuation, offset + size == block.Length ? Http2Flags.EndHeaders : Http2Flags.None, streamId);
            output.Write(block.Slice(offset, size));
            offset += size;
        }
    }
}

/// <summary>A stream's priority as HEADERS carries it (RFC 7540 §5.3, deprecated by RFC 9113 §5.3.2 but still sent by Chromium).</summary>
public readonly record struct Http2StreamPriority(int DependsOn, bool Exclusive, int Weight);

/// <summary>A connection error (RFC 9113 §5.4.1): the connection sends GOAWAY with this code and closes.</summary>
public sealed class Http2ConnectionException(Http2ErrorCode error, string message) : Exception(message)
{
    public Http2ErrorCode Error { get; } = error;
}

/// <summary>
/// A stream ended without a response: reset by the server (RST_STREAM), or not processed because the
/// connection went away. <see cref="Retryable"/> says the server never processed it (REFUSED_STREAM, or
/// above GOAWAY's last stream id; RFC 9113 §8.7), so a client may send it again on a new connection.
/// </summary>
public sealed class Http2StreamException(Http2ErrorCode error, string message, bool retryable = false) : Exception(message)
{
    public Http2ErrorCode Error { get; } = error;

    public bool Retryable { get; } = retryable;
}
