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

    /// <summary>Largest pushed body kept in memory per pushed stream; beyond it the push is reset.</summary>
    public int MaxPushedBodyBytes { get; init; } = 16 * 1024 * 1024;
}
