namespace SpdyLab.Protocol;

/// <summary>The three SPDY drafts this library speaks. 3.1 uses wire version 3.</summary>
public enum SpdyVersion
{
    Spdy2,
    Spdy3,
    Spdy31,
}

/// <summary>Which end of the session we are: decides stream-id and PING-id parity.</summary>
public enum SpdyRole
{
    Client,
    Server,
}

/// <summary>Control frame type codes (spdy2 › Control frames; spdy3 §2.6).</summary>
public enum SpdyFrameType : ushort
{
    /// <summary>Not a control frame: a DATA frame (C bit 0).</summary>
    Data = 0,
    SynStream = 1,
    SynReply = 2,
    RstStream = 3,
    Settings = 4,
    /// <summary>SPDY/2 only.</summary>
    Noop = 5,
    Ping = 6,
    GoAway = 7,
    Headers = 8,
    /// <summary>SPDY/3 and 3.1.</summary>
    WindowUpdate = 9,
    /// <summary>SPDY/3 only (deprecated in 3.1).</summary>
    Credential = 10,
    /// <summary>A control frame type this version does not define; ignored (spdy3 §2.2.1).</summary>
    Unknown = 0xFFFF,
}

/// <summary>RST_STREAM status codes (spdy3 §2.6.3). SPDY/2 defines 1..7 only.</summary>
public enum RstStatus : uint
{
    ProtocolError = 1,
    InvalidStream = 2,
    RefusedStream = 3,
    UnsupportedVersion = 4,
    Cancel = 5,
    InternalError = 6,
    FlowControlError = 7,
    StreamInUse = 8,
    StreamAlreadyClosed = 9,
    InvalidCredentials = 10,
    FrameTooLarge = 11,
}

/// <summary>GOAWAY status codes (spdy3 §2.6.6). SPDY/2's GOAWAY carries no status.</summary>
public enum GoAwayStatus : uint
{
    Ok = 0,
    ProtocolError = 1,
    InternalError = 2,
}

/// <summary>SETTINGS ids (spdy2 › SETTINGS; spdy3 §2.6.4).</summary>
public enum SettingsId : uint
{
    UploadBandwidth = 1,
    DownloadBandwidth = 2,
    RoundTripTime = 3,
    MaxConcurrentStreams = 4,
    CurrentCwnd = 5,
    DownloadRetransRate = 6,
    InitialWindowSize = 7,
    /// <summary>SPDY/3 and 3.1.</summary>
    ClientCertificateVectorSize = 8,
}

/// <summary>Per-entry SETTINGS flags (spdy3 §2.6.4).</summary>
[Flags]
public enum SettingsEntryFlags : byte
{
    None = 0,
    /// <summary>FLAG_SETTINGS_PERSIST_VALUE: the server asks the client to persist the value.</summary>
    PersistValue = 0x01,
    /// <summary>FLAG_SETTINGS_PERSISTED: the client returns a value it persisted.</summary>
    Persisted = 0x02,
}

/// <summary>Frame-level flags. FIN is 0x01 on DATA, SYN_STREAM, SYN_REPLY and HEADERS;
/// UNIDIRECTIONAL 0x02 on SYN_STREAM; CLEAR_SETTINGS 0x01 on SETTINGS.</summary>
public static class SpdyFlags
{
    public const byte Fin = 0x01;
    public const byte Unidirectional = 0x02;
    public const byte ClearSettings = 0x01;
}
