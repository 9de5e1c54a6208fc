using SpdyLab.Protocol.Compression;

namespace SpdyLab.Protocol;

/// <summary>Settings and limits of one session. The defaults are safe for an untrusted peer.</summary>
public sealed class SpdySessionOptions
{
    public SpdyVersion Version { get; init; } = SpdyVersion.Spdy31;

    public SpdyRole Role { get; init; } = SpdyRole.Client;

    /// <summary>Peer-initiated streams accepted at once (sent as SETTINGS_MAX_CONCURRENT_STREAMS); one more is
    /// refused with RST_STREAM REFUSED_STREAM (spdy3 §2.3.2).</summary>
    public int MaxConcurrentStreams { get; init; } = 100;

    /// <summary>Our per-stream receive window (SETTINGS_INITIAL_WINDOW_SIZE, v3 and 3.1).</summary>
    public int InitialWindowSize { get; init; } = 65536;

    /// <summary>Our session receive window (3.1): starts at 64 KB; a larger value is announced with a
    /// WINDOW_UPDATE on stream 0 right after SETTINGS (spdy3.1 §2.6.8).</summary>
    public int SessionWindowSize { get; init; } = 65536;

    /// <summary>
    /// SPDY/3.1 only. True: the session keeps 3.1's session-window books from the start but enforces the session
    /// window (ours on DATA received, the peer's on DATA sent) only once the peer has sent a WINDOW_UPDATE on
    /// stream 0, the first thing only a 3.1 peer does. For a cleartext connection with wire version 3, where a
    /// SPDY/3 peer (per-stream windows only, spdy3 §2.6.8) and a SPDY/3.1 peer (spdy3.1 §2.6.8) look alike: a
    /// SPDY/3 peer never credits a session window, so enforcing it would stall every session after 64 KB.
    /// </summary>
    public bool SessionWindowFromPeerUpdate { get; init; }

    /// <summary>
    /// SPDY/2 only. True (the default): as the application consumes a stream's DATA, send WINDOW_UPDATE frames as
    /// SPDY/3 would for a 64 KB stream window (spdy3 §2.6.8), though SPDY/2 has no flow control. SPDY/2 does not
    /// define the frame type, so a peer that follows SPDY/2 ignores it ("If an endpoint receives a control frame
    /// for a type it does not recognize, it must ignore the frame", spdy2 › Control frames); node-spdy 4.0.2 keeps
    /// a 64 KB per-stream send window in SPDY/2 as well and stops at 64 KB of a body until it gets one. WINDOW_UPDATE
    /// frames received in SPDY/2 are ignored either way, and nothing we send waits for one.
    /// </summary>
    public bool Spdy2WindowUpdates { get; init; } = true;

    /// <summary>Largest header block after decompression (decompression-bomb limit).</summary>
    public int MaxHeaderBlockSize { get; init; } = 256 * 1024;

    /// <summary>Largest frame payload accepted (at least 8192, spdy3 §2.2.1).</summary>
    public int MaxFrameSize { get; init; } = 1 << 20;

    /// <summary>Control frames (PING echoes, RST_STREAMs, WINDOW_UPDATEs...) waiting to be written. A peer that
    /// makes us queue more (a PING or RST flood while not reading) gets GOAWAY PROTOCOL_ERROR.</summary>
    public int MaxQueuedControlFrames { get; init; } = 1000;

    /// <summary>Largest DATA frame we write: bodies go out in chunks so priorities can interleave.</summary>
    public int DataChunkSize { get; init; } = 16384;

    /// <summary>With no stream open and nothing received for this long, the session says GOAWAY and closes.</summary>
    public TimeSpan IdleTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>When the session ends, how long its last frames (the GOAWAY) may wait for the peer to read them
    /// before the write is abandoned: a peer that stopped reading cannot hold an ended session open.</summary>
    public TimeSpan CloseFlushTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Unread DATA buffered per stream in SPDY/2 (no flow control) before the read loop waits for the
    /// application (back-pressure instead of unbounded memory).</summary>
    public int MaxBufferedDataPerStream { get; init; } = 1 << 20;

    public HeaderCompressionOptions HeaderCompression { get; init; } = HeaderCompressionOptions.Default;

    /// <summary>Extra entries for our first SETTINGS frame (e.g. values a client returns with FLAG_SETTINGS_PERSISTED).</summary>
    public IReadOnlyList<SettingsEntry> ExtraSettings { get; init; } = [];

    /// <summary>Receives one readable line per frame sent ("-> ...") and received ("<- ..."), and session events.</summary>
    public Action<string>? Trace { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentStreams, 1, nameof(MaxConcurrentStreams));
        ArgumentOutOfRangeException.ThrowIfLessThan(InitialWindowSize, 1, nameof(InitialWindowSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(SessionWindowSize, 65536, nameof(SessionWindowSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFrameSize, 8192, nameof(MaxFrameSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFrameSize, 0xFFFFFF, nameof(MaxFrameSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHeaderBlockSize, 1024, nameof(MaxHeaderBlockSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueuedControlFrames, 16, nameof(MaxQueuedControlFrames));
        ArgumentOutOfRangeException.ThrowIfLessThan(DataChunkSize, 1, nameof(DataChunkSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DataChunkSize, 0xFFFFFF, nameof(DataChunkSize));
    }
}
