using System.Buffers;
using System.Buffers.Binary;
using SpdyLab.Protocol.Compression;

namespace SpdyLab.Protocol.Framing;

/// <summary>
/// Cuts frames out of a byte sequence (a PipeReader's buffer). One reader per session receive direction: it owns
/// the inflate context, so frames must be read in wire order. A frame is returned only once all of its bytes
/// are present, so any split of the input works. Violations throw <see cref="SpdyProtocolException"/>; when a
/// stream error is thrown the frame has already been consumed (the buffer is past it) and reading may go on.
/// </summary>
public sealed class SpdyFrameReader : IDisposable
{
    /// <summary>Every implementation must accept control frames of 8192 bytes (spdy3 §2.2.1).</summary>
    public const int MinimumMaxFrameSize = 8192;

    public const int FrameHeaderLength = 8;

    private readonly HeaderBlockDecoder _decoder;
    private readonly DataFrame _reusedData = new() { Id = 0 };
    private readonly SynStreamFrame _reusedSynStream = new() { Id = 0, Headers = new HeaderList() };
    private readonly WindowUpdateFrame _reusedWindowUpdate = new();

    public SpdyFrameReader(SpdyProtocolProfile profile, int maxFrameSize = 1 << 20, int maxHeaderBlockSize = 256 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameSize, MinimumMaxFrameSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxFrameSize, 0xFFFFFF);
        Profile = profile;
        MaxFrameSize = maxFrameSize;
        _decoder = new HeaderBlockDecoder(profile, maxHeaderBlockSize);
    }

    public SpdyProtocolProfile Profile { get; }

    /// <summary>Largest frame payload accepted (the 24-bit length field); larger is a session error.</summary>
    public int MaxFrameSize { get; }

    /// <summary>
    /// When true, DATA, WINDOW_UPDATE and SYN_STREAM frames (the steady state of a transfer, and a server's requests)
    /// come back in one reused object each, so reading them allocates nothing (a SYN_STREAM's header list is still new): such a frame is valid only until the next <see cref="TryReadFrame"/>
    /// call. The session engine handles each frame before reading the next; keep false to collect frames.
    /// </summary>
    public bool ReuseFrames { get; init; }

    /// <summary>Compressed header-block bytes received.</summary>
    public long HeaderBytesCompressed => _decoder.CompressedBytes;

    /// <summary>Uncompressed header-block bytes received.</summary>
    public long HeaderBytesRaw => _decoder.RawBytes;

    /// <summary>
    /// Reads one frame from the start of <paramref name="buffer"/>. Returns false (buffer untouched) when more
    /// bytes are needed; otherwise advances <paramref name="buffer"/> past the frame.
    /// </summary>
    public bool TryReadFrame(ref ReadOnlySequence<byte> buffer, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SpdyFrame? frame)
    {
        frame = null;
        if (buffer.Length < FrameHeaderLength)
        {
            return false;
        }

        // Common header (spdy3 §2.2):
        // +----------------------------------+      +----------------------------------+
        // |C| Version(15bits) | Type(16bits) |  or  |C|       Stream-ID (31bits)       |
        // +----------------------------------+      +----------------------------------+
        // | Flags (8)  |  Length (24 bits)   |      | Flags (8)  |  Length (24 bits)   |
        // +----------------------------------+      +----------------------------------+
        Span<byte> header = stackalloc byte[FrameHeaderLength];
        buffer.Slice(0, FrameHeaderLength).CopyTo(header);
        var isControl = (header[0] & 0x80) != 0;
        var flags = header[4];
        var length = (header[5] << 16) | (header[6] << 8) | header[7];

        if (length > MaxFrameSize)
        {
            throw TooLarge(buffer, header, isControl, length);
        }

        if (buffer.Length < FrameHeaderLength + length)
        {
            return false;
        }

        var payload = buffer.Slice(FrameHeaderLength, length);
        buffer = buffer.Slice(FrameHeaderLength + length);

        if (!isControl)
        {
            var streamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(header) & 0x7FFFFFFF);
            frame = ReuseFrames ? _reusedData.Refill(streamId, flags, payload) : new DataFrame { Id = streamId, Flags = flags, Data = payload };
            return true;
        }

        var version = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(header) & 0x7FFF);
        var type = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        if (version != Profile.WireVersion)
        {
            if (type == (ushort)SpdyFrameType.SynStream && length >= 4)
            {
                // spdy3 §2.6.3 UNSUPPORTED_VERSION: refuse the stream. Its header block was compressed with the
                // peer's context, which we cannot follow, so later header blocks will fail (a session error then).
                throw SpdyProtocolException.StreamError(ReadStreamId(payload), RstStatus.UnsupportedVersion,
                    $"SYN_STREAM of version {version} on a {Profile.AlpnId} session");
            }

            throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, $"control frame of version {version} on a {Profile.AlpnId} session");
        }

        if (!Profile.Defines(type))
        {
            // spdy3 §2.2.1 / §2.6: control frames of unknown type are ignored.
            frame = new UnknownControlFrame { Flags = flags, Version = version, TypeCode = type, Length = length };
            return true;
        }

        frame = (SpdyFrameType)type switch
        {
            SpdyFrameType.SynStream => ReadSynStream(payload, flags),
            SpdyFrameType.SynReply => ReadSynReply(payload, flags),
            SpdyFrameType.RstStream => ReadRstStream(payload, flags),
            SpdyFrameType.Settings => ReadSettings(payload, flags),
            SpdyFrameType.Noop => new NoopFrame { Flags = flags },
            SpdyFrameType.Ping => ReadPing(payload, flags),
            SpdyFrameType.GoAway => ReadGoAway(payload, flags),
            SpdyFrameType.Headers => ReadHeaders(payload, flags),
            SpdyFrameType.WindowUpdate => ReadWindowUpdate(payload, flags),
            SpdyFrameType.Credential => ReadCredential(payload, flags),
            _ => throw new InvalidOperationException("unreachable: Defines() accepted an unhandled type"),
        };
        return true;
    }

    private SpdyProtocolException TooLarge(ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> header, bool isControl, int length)
    {
        var streamId = 0;
        if (!isControl)
        {
            streamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(header) & 0x7FFFFFFF);
        }
        else
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
            if (type is (ushort)SpdyFrameType.SynStream or (ushort)SpdyFrameType.SynReply or (ushort)SpdyFrameType.Headers
                && buffer.Length >= FrameHeaderLength + 4)
            {
                streamId = ReadStreamId(buffer.Slice(FrameHeaderLength, 4));
            }
        }

        // spdy3 §2.6.3 FRAME_TOO_LARGE: a frame we will not buffer; its header block (if any) cannot be
        // inflated, so the compression state is lost: RST_STREAM the stream, then close the session.
        return SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError,
            $"frame of {length} bytes exceeds the {MaxFrameSize}-byte limit", streamId, RstStatus.FrameTooLarge);
    }

    private static int ReadStreamId(ReadOnlySequence<byte> payload)
    {
        Span<byte> id = stackalloc byte[4];
        payload.Slice(0, 4).CopyTo(id);
        return (int)(BinaryPrimitives.ReadUInt32BigEndian(id) & 0x7FFFFFFF);
    }

    private static SpdyProtocolException BadLength(string frame, int length, string expected) =>
        SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, $"{frame} with length {length}, expected {expected}");

    // spdy3 §2.6.1 (spdy2: Pri is 2 bits followed by 14 unused bits):
    // +------------------------------------+
    // |X|           Stream-ID (31bits)     |
    // +------------------------------------+
    // |X| Associated-To-Stream-ID (31bits) |
    // +------------------------------------+
    // | Pri|Unused | Slot |                |
    // +-------------------+                |
    // |   Name/Value header block (zlib)   |
    private SynStreamFrame ReadSynStream(ReadOnlySequence<byte> payload, byte flags)
    {
        if (payload.Length < 10)
        {
            throw BadLength("SYN_STREAM", (int)payload.Length, "at least 10");
        }

        Span<byte> fixedPart = stackalloc byte[10];
        payload.Slice(0, 10).CopyTo(fixedPart);
        var streamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(fixedPart) & 0x7FFFFFFF);
        var associated = (int)(BinaryPrimitives.ReadUInt32BigEndian(fixedPart[4..]) & 0x7FFFFFFF);
        var priority = Profile.DecodePriority(fixedPart[8]);
        var slot = Profile.HasCredential ? fixedPart[9] : (byte)0;
        var headers = _decoder.Decode(payload.Slice(10), streamId);
        return ReuseFrames
            ? _reusedSynStream.Refill(streamId, associated, priority, slot, flags, headers)
            : new SynStreamFrame { Id = streamId, AssociatedStreamId = associated, Priority = priority, Slot = slot, Flags = flags, Headers = headers };
    }

    // spdy3 §2.6.2 (spdy2 adds 16 unused bits after the stream id):
    // +------------------------------------+
    // |X|           Stream-ID (31bits)     |
    // +------------------------------------+
    // |   Name/Value header block (zlib)   |
    private SynReplyFrame ReadSynReply(ReadOnlySequence<byte> payload, byte flags)
    {
        var fixedLength = 4 + Profile.SynReplyPadding;
        if (payload.Length < fixedLength)
        {
            throw BadLength("SYN_REPLY", (int)payload.Length, $"at least {fixedLength}");
        }

        var streamId = ReadStreamId(payload);
        var headers = _decoder.Decode(payload.Slice(fixedLength), streamId);
        return new SynReplyFrame { Id = streamId, Flags = flags, Headers = headers };
    }

    // spdy3 §2.6.7 (spdy2 › HEADERS: stream id + 16 unused bits), same shape as SYN_REPLY.
    private HeadersFrame ReadHeaders(ReadOnlySequence<byte> payload, byte flags)
    {
        var fixedLength = 4 + Profile.SynReplyPadding;
        if (payload.Length < fixedLength)
        {
            throw BadLength("HEADERS", (int)payload.Length, $"at least {fixedLength}");
        }

        var streamId = ReadStreamId(payload);
        var headers = _decoder.Decode(payload.Slice(fixedLength), streamId);
        return new HeadersFrame { Id = streamId, Flags = flags, Headers = headers };
    }

    // spdy3 §2.6.3:
    // +----------------------------------+
    // |X|          Stream-ID (31bits)    |
    // +----------------------------------+
    // |          Status code             |
    // +----------------------------------+
    private static RstStreamFrame ReadRstStream(ReadOnlySequence<byte> payload, byte flags)
    {
        if (payload.Length != 8)
        {
            throw BadLength("RST_STREAM", (int)payload.Length, "8");
        }

        Span<byte> bytes = stackalloc byte[8];
        payload.CopyTo(bytes);
        return new RstStreamFrame
        {
            Id = (int)(BinaryPrimitives.ReadUInt32BigEndian(bytes) & 0x7FFFFFFF),
            Status = (RstStatus)BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]),
            Flags = flags,
        };
    }

    // spdy3 §2.6.4 (entry layout per version: see SpdyProtocolProfile.ReadSettingsEntry):
    // +----------------------------------+
    // |         Number of entries        |
    // +----------------------------------+
    // |          ID/Value Pairs          |
    // |             ...                  |
    private SettingsFrame ReadSettings(ReadOnlySequence<byte> payload, byte flags)
    {
        if (payload.Length < 4)
        {
            throw BadLength("SETTINGS", (int)payload.Length, "at least 4");
        }

        var bytes = payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray();
        var count = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        if ((long)count * 8 + 4 != bytes.Length)
        {
            throw BadLength("SETTINGS", bytes.Length, $"4 + 8 x {count} entries");
        }

        var entries = new List<SettingsEntry>((int)count);
        for (var i = 0; i < (int)count; i++)
        {
            var entry = Profile.ReadSettingsEntry(bytes.Slice(4 + (i * 8), 8));
            // "If the recipient of a SETTINGS frame discovers multiple values for the same ID, it MUST ignore
            // all values except the first one."
            if (!entries.Exists(e => e.Id == entry.Id))
            {
                entries.Add(entry);
            }
        }

        return new SettingsFrame { Flags = flags, Entries = entries };
    }

    // spdy3 §2.6.5:
    // +----------------------------------+
    // |            32-bit ID             |
    // +----------------------------------+
    private static PingFrame ReadPing(ReadOnlySequence<byte> payload, byte flags)
    {
        if (payload.Length != 4)
        {
            throw BadLength("PING", (int)payload.Length, "4");
        }

        Span<byte> bytes = stackalloc byte[4];
        payload.CopyTo(bytes);
        return new PingFrame { Id = BinaryPrimitives.ReadUInt32BigEndian(bytes), Flags = flags };
    }

    // spdy3 §2.6.6 (spdy2: no status, length 4):
    // +----------------------------------+
    // |X|  Last-good-stream-ID (31 bits) |
    // +----------------------------------+
    // |          Status code             |
    // +----------------------------------+
    private GoAwayFrame ReadGoAway(ReadOnlySequence<byte> payload, byte flags)
    {
        // SPDY/2 peers that wrote the SPDY/3 layout (8 bytes) are tolerated; the status is read only where defined.
        if (payload.Length != Profile.GoAwayLength && !(payload.Length == 8 && Profile.GoAwayLength == 4))
        {
            throw BadLength("GOAWAY", (int)payload.Length, Profile.GoAwayLength.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Span<byte> bytes = stackalloc byte[8];
        payload.CopyTo(bytes);
        return new GoAwayFrame
        {
            LastGoodStreamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(bytes) & 0x7FFFFFFF),
            Status = Profile.GoAwayLength == 8 ? (GoAwayStatus)BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]) : GoAwayStatus.Ok,
            Flags = flags,
        };
    }

    // spdy3 §2.6.8:
    // +----------------------------------+
    // |X|     Stream-ID (31-bits)        |
    // +----------------------------------+
    // |X|  Delta-Window-Size (31-bits)   |
    // +----------------------------------+
    private WindowUpdateFrame ReadWindowUpdate(ReadOnlySequence<byte> payload, byte flags)
    {
        if (payload.Length != 8)
        {
            throw BadLength("WINDOW_UPDATE", (int)payload.Length, "8");
        }

        Span<byte> bytes = stackalloc byte[8];
        payload.CopyTo(bytes);
        var id = (int)(BinaryPrimitives.ReadUInt32BigEndian(bytes) & 0x7FFFFFFF);
        var delta = (int)(BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]) & 0x7FFFFFFF);
        return ReuseFrames ? _reusedWindowUpdate.Refill(id, delta, flags) : new WindowUpdateFrame { Id = id, Delta = delta, Flags = flags };
    }

    // spdy3 §2.6.9:
    // +----------------------------------+
    // |  Slot (16 bits) |                |
    // +-----------------+                |
    // |      Proof Length (32 bits)      |
    // +----------------------------------+
    // |               Proof              |
    // +----------------------------------+ <+
    // |   Certificate Length (32 bits)   |  |
    // +----------------------------------+  | Repeated until end of frame
    // |            Certificate           |  |
    // +----------------------------------+ <+
    // "If the server receives an invalid CREDENTIAL frame, it MUST respond with a GOAWAY frame."
    private static CredentialFrame ReadCredential(ReadOnlySequence<byte> payload, byte flags)
    {
        var bytes = payload.ToArray();
        if (bytes.Length < 6)
        {
            throw BadLength("CREDENTIAL", bytes.Length, "at least 6");
        }

        var slot = BinaryPrimitives.ReadUInt16BigEndian(bytes);
        var proofLength = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(2));
        if (proofLength > bytes.Length - 6)
        {
            throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, "CREDENTIAL proof overruns the frame");
        }

        var proof = bytes.AsSpan(6, (int)proofLength).ToArray();
        var position = 6 + (int)proofLength;
        var certificates = new List<byte[]>();
        while (position < bytes.Length)
        {
            if (bytes.Length - position < 4)
            {
                throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, "CREDENTIAL certificate length truncated");
            }

            var certificateLength = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(position));
            position += 4;
            if (certificateLength > bytes.Length - position)
            {
                throw SpdyProtocolException.SessionError(GoAwayStatus.ProtocolError, "CREDENTIAL certificate overruns the frame");
            }

            certificates.Add(bytes.AsSpan(position, (int)certificateLength).ToArray());
            position += (int)certificateLength;
        }

        return new CredentialFrame { Slot = slot, Proof = proof, Certificates = certificates, Flags = flags };
    }

    public void Dispose() => _decoder.Dispose();
}
