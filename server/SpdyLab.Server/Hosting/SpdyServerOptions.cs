using SpdyLab.Protocol.Compression;

namespace SpdyLab.Server.Hosting;

/// <summary>The SPDY versions the server speaks and the ALPN ids that name them.</summary>
public enum SpdyWireVersion
{
    /// <summary>SPDY/2: ALPN "spdy/2", wire version 2.</summary>
    Spdy2,

    /// <summary>SPDY/3: ALPN "spdy/3", wire version 3.</summary>
    Spdy3,

    /// <summary>SPDY/3.1: ALPN "spdy/3.1", wire version 3 with session flow control.</summary>
    Spdy31,
}

/// <summary>Options of the SPDY side of the server (HTTP/1.1 and h2 are Kestrel's own).</summary>
public sealed class SpdyServerOptions
{
    /// <summary>SPDY versions offered by ALPN on TLS ports, best first. Cleartext ports accept any of them.</summary>
    public List<SpdyWireVersion> Versions { get; } = [SpdyWireVersion.Spdy31, SpdyWireVersion.Spdy3, SpdyWireVersion.Spdy2];

    /// <summary>
    /// What a cleartext connection whose first frame has wire version 3 speaks; the wire does not tell SPDY/3
    /// from SPDY/3.1. Null (the default): decided by the peer. The session keeps SPDY/3.1's books from the
    /// start but enforces the session window only once the peer sends a WINDOW_UPDATE on stream 0, which a
    /// SPDY/3 peer never does (node-spdy's own server does the same, its autoSpdy31). SPDY/3.1: enforced from
    /// the first byte (a SPDY/3 peer stalls after 64 KB in all). SPDY/3: no session window at all.
    /// </summary>
    public SpdyWireVersion? CleartextVersion3 { get; set; }

    /// <summary>Serve HTTP/2 (Kestrel's) on TLS ports beside SPDY.</summary>
    public bool OfferHttp2 { get; set; } = true;

    /// <summary>Push resources named by a response's X-Associated-Content header.</summary>
    public bool PushEnabled { get; set; } = true;

    /// <summary>
    /// Also push X-Associated-Content URLs of other hosts (same scheme) on the session, with their own
    /// :host. The lab's single-domain setup serves every host of a page on one connection and its push
    /// rows need this; browsers refuse cross-origin pushes (SPDY/3 §3.3), so a public server keeps it off.
    /// </summary>
    public bool PushOtherHosts { get; set; } = true;

    /// <summary>Streams the client may open at once (SETTINGS_MAX_CONCURRENT_STREAMS); more get REFUSED_STREAM.</summary>
    public int MaxConcurrentStreams { get; set; } = 100;

    /// <summary>Our per-stream receive window (SETTINGS_INITIAL_WINDOW_SIZE, SPDY/3+).</summary>
    public int InitialWindowSize { get; set; } = 65536;

    /// <summary>
    /// Our SPDY/3.1 session receive window (raised from 64 KiB by a WINDOW_UPDATE on stream 0 at the start),
    /// large enough that several uploads at once are limited by their stream windows, not by the session's.
    /// </summary>
    public int SessionWindowSize { get; set; } = 1 << 20;

    /// <summary>Pushes started per request at most (the rest of X-Associated-Content is ignored).</summary>
    public int MaxPushesPerRequest { get; set; } = 100;

    /// <summary>How long a pushed resource's request may take to start its response before the push is dropped.</summary>
    public TimeSpan PushOpenTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Requests the client may reset before their answer within <see cref="PeerResetWindow"/> (rapid reset guard); more: GOAWAY.</summary>
    public int MaxPeerResets { get; set; } = 200;

    /// <summary>The window of <see cref="MaxPeerResets"/>.</summary>
    public TimeSpan PeerResetWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a request body read may wait for the client's next DATA before the stream is reset (CANCEL).</summary>
    public TimeSpan RequestBodyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a session may sit without any frame before it is closed with GOAWAY.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// zlib parameters of the header blocks the server sends (SYN_REPLY, HEADERS, pushed SYN_STREAMs). Default:
    /// Chromium's SPDY framer (level 9, 2 KB window, memLevel 1), which Google's servers shared; any setting
    /// decodes in any peer (spdy3 §2.6.10.1). Deflating each reply at level 9 is most of the server's zlib time
    /// (docs/benchmarks.md); a lower level trades header bytes for CPU, as nginx's spdy_headers_comp did.
    /// </summary>
    public HeaderCompressionOptions HeaderCompression { get; set; } = HeaderCompressionOptions.Default;

    /// <summary>How long graceful shutdown waits for in-flight streams after GOAWAY.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The ALPN id of a version.</summary>
    public static string AlpnId(SpdyWireVersion version) => version switch
    {
        SpdyWireVersion.Spdy2 => "spdy/2",
        SpdyWireVersion.Spdy3 => "spdy/3",
        SpdyWireVersion.Spdy31 => "spdy/3.1",
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };

    /// <summary>The version an ALPN id names, or null for anything else (h2, http/1.1...).</summary>
    public static SpdyWireVersion? FromAlpn(ReadOnlySpan<byte> alpn) => alpn switch
    {
        _ when alpn.SequenceEqual("spdy/3.1"u8) => SpdyWireVersion.Spdy31,
        _ when alpn.SequenceEqual("spdy/3"u8) => SpdyWireVersion.Spdy3,
        _ when alpn.SequenceEqual("spdy/2"u8) => SpdyWireVersion.Spdy2,
        _ => null,
    };
}
