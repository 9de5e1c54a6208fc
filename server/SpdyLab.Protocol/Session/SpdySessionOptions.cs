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
