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
}
