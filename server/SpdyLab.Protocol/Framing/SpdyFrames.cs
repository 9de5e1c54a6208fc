using System.Buffers;

namespace SpdyLab.Protocol.Framing;

/// <summary>A decoded SPDY frame. Header blocks are already inflated and parsed.</summary>
public abstract class SpdyFrame
{
    public abstract SpdyFrameType Type { get; }

    private byte _flags;

    /// <summary>The frame's flags byte as received.</summary>
    public byte Flags { get => _flags; init => _flags = value; }

    /// <summary>For a reader that reuses frame objects (<see cref="SpdyFrameReader.ReuseFrames"/>).</summary>
    private protected void SetFlags(byte flags) => _flags = flags;

    /// <summary>Stream the frame belongs to (0 for session-level frames).</summary>
    public virtual int StreamId => 0;
}

/// <summary>DATA (spdy3 §2.2.2). <see cref="Data"/> is a slice of the reader's input buffer: it is valid only
/// until the caller advances that buffer (copy it out before reading on).</summary>
public sealed class DataFrame : SpdyFrame
{
    public override SpdyFrameType Type => SpdyFrameType.Data;

    public override int StreamId => Id;

    private int _id;
    private ReadOnlySequence<byte> _data;

    public required int Id { get => _id; init => _id = value; }

    public ReadOnlySequence<byte> Data { get => _data; init => _data = value; }

    public bool IsFin => (Flags & SpdyFlags.Fin) != 0;

    internal DataFrame Refill(int id, byte flags, ReadOnlySequence<byte> data)
    {
        _id = id;
        _data = data;
        SetFlags(flags);
        return this;
    }

    public override string ToString() => $"DATA stream={Id} len={Data.Length}{(IsFin ? " FIN" : string.Empty)}";
}

/// <summary>SYN_STREAM (spdy2 › SYN_STREAM; spdy3 §2.6.1).</summary>
public sealed class SynStreamFrame : SpdyFrame
{
    public override SpdyFrameType Type => SpdyFrameType.SynStream;

    public override int StreamId => Id;

    private int _id;
    private int _associatedStreamId;
    private int _priority;
    private byte _slot;
    private HeaderList _headers = null!;

    public required int Id { get => _id; init => _id = value; }

    public int AssociatedStreamId { get => _associatedStreamId; init => _associatedStreamId = value; }

    /// <summary>0 = highest; up to 3 (v2) or 7 (v3).</summary>
    public int Priority { get => _priority; init => _priority = value; }

    /// <summary>CREDENTIAL slot (v3; 0 = none).</summary>
    public byte Slot { get => _slot; init => _slot = value; }

    public required HeaderList Headers { get => _headers; init => _headers = value; }

    public bool IsFin => (Flags & SpdyFlags.Fin) != 0;

    public bool IsUnidirectional => (Flags & SpdyFlags.Unidirectional) != 0;

    /// <summary>For <see cref="SpdyFrameReader.ReuseFrames"/>: one SYN_STREAM object per reader (a new request per frame on a
    /// server; the header list itself is new per frame and is what the stream keeps).</summary>
    internal SynStreamFrame Refill(int id, int associatedStreamId, int priority, byte slot, byte flags, HeaderList headers)
    {
        _id = id;
        _associatedStreamId = associatedStreamId;
        _priority = priority;
        _slot = slot;
        _headers = headers;
        SetFlags(flags);
        return this;
    }

    public override string ToString() =>
        $"SYN_STREAM stream={Id} assoc={AssociatedStreamId} pri={Priority}{(IsFin ? " FIN" : string.Empty)}{(IsUnidirectional ? " UNIDIRECTIONAL" : string.Empty)} [{Headers}]";
}

/// <summary>SYN_REPLY (spdy2 › SYN_REPLY; spdy3 §2.6.2).</summary>
public sealed class SynReplyFrame : SpdyFrame
{
    public override SpdyFrameType Type => SpdyFrameType.SynReply;

    public override int StreamId => Id;

    public required int Id { get; init; }

    public required HeaderList Headers { get; init; }

    public bool IsFin => (Flags & SpdyFlags.Fin) != 0;

    public override string ToString() => $"SYN_REPLY stream={Id}{(IsFin ? " FIN" : string.Empty)} [{Headers}]";
}

/// <summary>HEADERS (spdy2 › HEADERS; spdy3 §2.6.7).</summary>
public sealed class HeadersFrame : SpdyFrame
{
    public override SpdyFrameType Type => SpdyFrameType.Headers;

    public override int StreamId => Id;

    public required int Id { get; init; }

    public required HeaderList Headers { get; init; }

    public bool IsFin => (Flags & SpdyFlags.Fin) != 0;

    public override string ToString() => $"HEADERS stream={Id}{(IsFin ? " FIN" : string.Empty)} [{Headers}]";
}

/// <summary>RST_STREAM (spdy3 §2.6.3). The status is kept raw: unknown codes are not an error for the reader.</summary>
public sealed class RstStreamFrame : SpdyFrame
{
    public override SpdyFrameType Type => SpdyFrameType.RstStream;

    public override int StreamId => Id;

    public required int Id { get; init; }

    public RstStatus Status { get; init; }

    public override string ToString() => $"RST_STREAM stream={Id} status={Status}";
}

/// <summary>SETTINGS (spdy2 › SETTINGS; spdy3 §2.6.4). Duplicate ids are already dropped (first one wins).</summary>
public sealed class SettingsFrame : SpdyFrame
{
    public override SpdyFrameType Type => SpdyFrameType.Settings;

    public required IReadOnlyList<SettingsEntry> Entries { get; init; }

    public bool ClearSettings => (Flags & SpdyFlags.ClearSettings) != 0;

    public override string ToString() =>
        $"SETTINGS{(ClearSettings ? " CLEAR" : string.Empty)} [{string.Join(", ", Entries.Select(e => $"{e.Id}={e.Value}{(e.Flags != 0 ? $" ({e.Flags})" : string.Empty)}"))}]";
}

/// <summary>NOOP (SPDY/2 only).</summary>
public sealed class NoopFrame : SpdyFrame
{
    public override SpdyFrameType Type => SpdyFrameType.Noop;

    public override string ToString() => "NOOP";
}

/// <summary>PING (spdy3 §2.6.5).</summary>
public sealed class PingFrame : SpdyFrame
{
    public override SpdyFrameType Type => SpdyFrameType.Ping;

    public uint Id { get; init; }

    public override string ToString() => $"PING id={Id}";
}

/// <summary>GOAWAY (spdy3 §2.6.6; SPDY/2 has no status: it reads as OK).</summary>
public sealed class GoAwayFrame : SpdyFrame
{
    public override SpdyFrameType Type => SpdyFrameType.GoAway;

    public int LastGoodStreamId { get; init; }

    public GoAwayStatus Status { get; init; }

    public override string ToString() => $"GOAWAY last-good={LastGoodStreamId} status={Status}";
}

/// <summary>WINDOW_UPDATE (spdy3 §2.6.8; stream 0 = the session window in 3.1).</summary>
public sealed class WindowUpdateFrame : SpdyFrame
{
    public override SpdyFrameType Type => SpdyFrameType.WindowUpdate;

    public override int StreamId => Id;

    private int _id;
    private int _delta;

    public int Id { get => _id; init => _id = value; }

    public int Delta { get => _delta; init => _delta = value; }

    internal WindowUpdateFrame Refill(int id, int delta, byte flags)
    {
        _id = id;
        _delta = delta;
        SetFlags(flags);
        return this;
    }

    public override string ToString() => $"WINDOW_UPDATE stream={Id} delta={Delta}";
}

/// <summary>CREDENTIAL (SPDY/3 §2.6.9): slot, proof, certificate chain (leaf first).</summary>
public sealed class CredentialFrame : SpdyFrame
{
    public override SpdyFrameType Type => SpdyFrameType.Credential;

    public ushort Slot { get; init; }

    public required byte[] Proof { get; init; }

    public required IReadOnlyList<byte[]> Certificates { get; init; }

    public override string ToString() => $"CREDENTIAL slot={Slot} proof={Proof.Length}B certificates={Certificates.Count}";
}

/// <summary>A control frame whose type this version does not define: skipped, reported only for tracing.</summary>
public sealed class UnknownControlFrame : SpdyFrame
{
    public override SpdyFrameType Type => SpdyFrameType.Unknown;

    public ushort Version { get; init; }

    public ushort TypeCode { get; init; }

    public int Length { get; init; }

    public override string ToString() => $"UNKNOWN control frame version={Version} type={TypeCode} len={Length} (ignored)";
}
