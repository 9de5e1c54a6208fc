using System.Buffers;
using System.Buffers.Binary;
using SpdyLab.Protocol.Compression;

namespace SpdyLab.Protocol.Framing;

/// <summary>
/// Writes frames into an <see cref="IBufferWriter{T}"/> (a PipeWriter). One writer per session send direction:
/// it owns the deflate context, so header-carrying frames must be written in wire order. Frames without header
/// blocks are written straight into the output span (no allocation); header blocks are compressed into a
/// reused scratch buffer first because the frame length precedes them.
/// </summary>
public sealed class SpdyFrameWriter : IDisposable
{
    public const int MaxPayloadLength = 0xFFFFFF;

    private readonly HeaderBlockEncoder _encoder;
    private readonly ArrayBufferWriter<byte> _block = new(1024);

    public SpdyFrameWriter(SpdyProtocolProfile profile, HeaderCompressionOptions? compression = null)
    {
        Profile = profile;
        _encoder = new HeaderBlockEncoder(profile, compression);
    }

    public SpdyProtocolProfile Profile { get; }

    /// <summary>Uncompressed header-block bytes sent.</summary>
    public long HeaderBytesRaw => _encoder.RawBytes;

    /// <summary>Compressed header-block bytes sent.</summary>
    public long HeaderBytesCompressed => _encoder.CompressedBytes;

    // spdy3 §2.2.2:
    // +----------------------------------+
    // |C|       Stream-ID (31bits)       |
    // +----------------------------------+
    // | Flags (8)  |  Length (24 bits)   |
    // +----------------------------------+
    // |               Data               |
    // +----------------------------------+
    public void WriteData(IBufferWriter<byte> output, int streamId, ReadOnlySpan<byte> data, bool fin)
    {
        var span = output.GetSpan(8 + data.Length);
        WriteDataHeader(span, streamId, data.Length, fin);
        data.CopyTo(span[8..]);
        output.Advance(8 + data.Length);
    }

    /// <summary>Writes only the 8-byte DATA header; the caller writes <paramref name="length"/> payload bytes next.</summary>
    public void WriteDataHeader(IBufferWriter<byte> output, int streamId, int length, bool fin)
    {
        WriteDataHeader(output.GetSpan(8), streamId, length, fin);
        output.Advance(8);
    }

    private static void WriteDataHeader(Span<byte> span, int streamId, int length, bool fin)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)length, (uint)MaxPayloadLength, nameof(length));
        BinaryPrimitives.WriteInt32BigEndian(span, streamId & 0x7FFFFFFF);
        BinaryPrimitives.WriteInt32BigEndian(span[4..], ((fin ? SpdyFlags.Fin : 0) << 24) | length);
    }

    // spdy3 §2.6.1 (see SpdyFrameReader for the layout). Returns the total frame length.
    public int WriteSynStream(IBufferWriter<byte> output, int streamId, int associatedStreamId, int priority, byte flags, HeaderList headers, byte slot = 0)
    {
        var block = CompressBlock(headers);
        var length = 10 + block.Length;
        var span = StartControlFrame(output, SpdyFrameType.SynStream, flags, length);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], streamId & 0x7FFFFFFF);
        BinaryPrimitives.WriteInt32BigEndian(span[12..], associatedStreamId & 0x7FFFFFFF);
        span[16] = Profile.EncodePriority(priority);
        span[17] = Profile.HasCredential ? slot : (byte)0;
        block.CopyTo(span[18..]);
        output.Advance(8 + length);
        return 8 + length;
    }

    // spdy3 §2.6.2: stream id, (v2: 16 unused bits), header block.
    public int WriteSynReply(IBufferWriter<byte> output, int streamId, bool fin, HeaderList headers) =>
        WriteStreamHeaderFrame(output, SpdyFrameType.SynReply, streamId, fin, headers);

    // spdy3 §2.6.7: same shape as SYN_REPLY.
    public int WriteHeaders(IBufferWriter<byte> output, int streamId, bool fin, HeaderList headers) =>
        WriteStreamHeaderFrame(output, SpdyFrameType.Headers, streamId, fin, headers);

    private int WriteStreamHeaderFrame(IBufferWriter<byte> output, SpdyFrameType type, int streamId, bool fin, HeaderList headers)
    {
        var block = CompressBlock(headers);
        var fixedLength = 4 + Profile.SynReplyPadding;
        var length = fixedLength + block.Length;
        var span = StartControlFrame(output, type, fin ? SpdyFlags.Fin : (byte)0, length);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], streamId & 0x7FFFFFFF);
        span.Slice(12, Profile.SynReplyPadding).Clear();
        block.CopyTo(span[(8 + fixedLength)..]);
        output.Advance(8 + length);
        return 8 + length;
    }

    // spdy3 §2.6.3: stream id, 32-bit status (flags 0, length 8).
    public void WriteRstStream(IBufferWriter<byte> output, int streamId, RstStatus status)
    {
        var span = StartControlFrame(output, SpdyFrameType.RstStream, 0, 8);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], streamId & 0x7FFFFFFF);
        BinaryPrimitives.WriteUInt32BigEndian(span[12..], (uint)Profile.ToWireStatus(status));
        output.Advance(16);
    }

    // spdy3 §2.6.4: entry count, then 8-byte entries in the version's layout.
    public void WriteSettings(IBufferWriter<byte> output, byte flags, ReadOnlySpan<SettingsEntry> entries)
    {
        var length = 4 + (8 * entries.Length);
        var span = StartControlFrame(output, SpdyFrameType.Settings, flags, length);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            Profile.WriteSettingsEntry(span.Slice(12 + (i * 8), 8), entries[i]);
        }

        output.Advance(8 + length);
    }

    // spdy2 › NOOP: type 5, no payload.
    public void WriteNoop(IBufferWriter<byte> output)
    {
        if (!Profile.HasNoop)
        {
            throw new InvalidOperationException($"{Profile.AlpnId} has no NOOP frame");
        }

        StartControlFrame(output, SpdyFrameType.Noop, 0, 0);
        output.Advance(8);
    }

    // spdy3 §2.6.5: 32-bit id.
    public void WritePing(IBufferWriter<byte> output, uint id)
    {
        var span = StartControlFrame(output, SpdyFrameType.Ping, 0, 4);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], id);
        output.Advance(12);
    }

    // spdy3 §2.6.6: last-good-stream-id, status (v2: no status).
    public void WriteGoAway(IBufferWriter<byte> output, int lastGoodStreamId, GoAwayStatus status)
    {
        var length = Profile.GoAwayLength;
        var span = StartControlFrame(output, SpdyFrameType.GoAway, 0, length);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], lastGoodStreamId & 0x7FFFFFFF);
        if (length == 8)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span[12..], (uint)status);
        }

        output.Advance(8 + length);
    }

    // spdy3 §2.6.8: stream id (0 = session in 3.1), 31-bit delta. Written in SPDY/2 too, where it is not a frame
    // type (spdy2 › WINDOW_UPDATE: "never implemented"): a SPDY/2 peer "must ignore" a control frame type it does
    // not recognize (spdy2 › Control frames), and node-spdy, the one deployed SPDY/2 server, waits for it
    // (SpdySessionOptions.Spdy2WindowUpdates).
    public void WriteWindowUpdate(IBufferWriter<byte> output, int streamId, int delta)
    {

        ArgumentOutOfRangeException.ThrowIfLessThan(delta, 1);
        var span = StartControlFrame(output, SpdyFrameType.WindowUpdate, 0, 8);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], streamId & 0x7FFFFFFF);
        BinaryPrimitives.WriteInt32BigEndian(span[12..], delta & 0x7FFFFFFF);
        output.Advance(16);
    }

    // spdy3 §2.6.9: slot, proof length + proof, then (length + certificate)*.
    public void WriteCredential(IBufferWriter<byte> output, ushort slot, ReadOnlySpan<byte> proof, IReadOnlyList<byte[]> certificates)
    {
        if (!Profile.HasCredential)
        {
            throw new InvalidOperationException($"{Profile.AlpnId} has no CREDENTIAL frame");
        }

        var length = 6 + proof.Length + certificates.Sum(c => 4 + c.Length);
        var span = StartControlFrame(output, SpdyFrameType.Credential, 0, length);
        BinaryPrimitives.WriteUInt16BigEndian(span[8..], slot);
        BinaryPrimitives.WriteInt32BigEndian(span[10..], proof.Length);
        proof.CopyTo(span[14..]);
        var position = 14 + proof.Length;
        foreach (var certificate in certificates)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[position..], certificate.Length);
            certificate.CopyTo(span[(position + 4)..]);
            position += 4 + certificate.Length;
        }

        output.Advance(8 + length);
    }

    // spdy3 §2.2.1:
    // +----------------------------------+
    // |C| Version(15bits) | Type(16bits) |
    // +----------------------------------+
    // | Flags (8)  |  Length (24 bits)   |
    // +----------------------------------+
    private Span<byte> StartControlFrame(IBufferWriter<byte> output, SpdyFrameType type, byte flags, int length)
    {
        if (length > MaxPayloadLength)
        {
            throw new ArgumentException($"{type} payload of {length} bytes exceeds the 24-bit length field");
        }

        var span = output.GetSpan(8 + length);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)(0x8000 | Profile.WireVersion));
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)type);
        BinaryPrimitives.WriteInt32BigEndian(span[4..], (flags << 24) | length);
        return span;
    }

    private ReadOnlySpan<byte> CompressBlock(HeaderList headers)
    {
        _block.ResetWrittenCount();
        _encoder.Encode(headers, _block);
        return _block.WrittenSpan;
    }

    public void Dispose() => _encoder.Dispose();
}
