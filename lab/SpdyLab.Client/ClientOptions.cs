namespace SpdyLab.Client;

/// <summary>How the client connects and what it offers.</summary>
public sealed class ClientOptions
{
    /// <summary>The one protocol to use, or null: https negotiates by ALPN (<see cref="ClientProtocols.DefaultOffer"/>),
    /// http uses cleartext SPDY/3.1.</summary>
    public ClientProtocol? Protocol { get; init; }

    /// <summary>Accept any server certificate (curl -k).</summary>
    public bool Insecure { get; init; }

    /// <summary>PEM file with the certificate authorities to trust instead of the system's (curl --cacert).</summary>
    public string? CaCertFile { get; init; }

    public ResolveMap Resolve { get; init; } = new();

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Readable trace lines (connection events, frames); null for none.</summary>
    public Action<string>? Trace { get; init; }

    /// <summary>SPDY/3+: our per-stream receive window, announced in SETTINGS (the spec's default is 64 KB).</summary>
    public int InitialWindowSize { get; init; } = 65536;

    /// <summary>SPDY/3.1: our session receive window (the protocol starts at 64 KB; the engine grants the rest by
    /// WINDOW_UPDATE on stream 0). 10 MB as Chrome's SPDY/3.1 sessions; also covers cleartext node-spdy, which
    /// runs 3.1 clients as SPDY/3 and ignores the session window when sending (docs/client.md).</summary>
    public int SessionWindowSize { get; init; } = 10 * 1024 * 1024;

    /// <summary>Largest pushed body kept in memory per pushed stream; beyond it the push is reset.</summary>
    public int MaxPushedBodyBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>SPDY: pushed streams recorded per connection; later ones are refused (RST_STREAM REFUSED_STREAM), so
    /// a server that pushes without end cannot grow the push table without bound.</summary>
    public int MaxPushesPerConnection { get; init; } = 1000;

    /// <summary>SPDY: pushed body bytes buffered per connection, all pushes together (each push alone is capped by
    /// <see cref="MaxPushedBodyBytes"/>); a push that would exceed it is reset with CANCEL.</summary>
    public long MaxPushedBytesPerConnection { get; init; } = 64L * 1024 * 1024;

    /// <summary>SPDY: longest wait for the server's next bytes on a stream (its SYN_REPLY, then each read of the
    /// body); then the stream is reset (CANCEL) and the call fails with a <see cref="ClientErrorKind.Timeout"/>
    /// error, so a server that stalls mid-response cannot hang a caller that passed no deadline.</summary>
    public TimeSpan ResponseIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
