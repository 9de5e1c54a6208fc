namespace SpdyLab.Client;

/// <summary>The application protocols the client speaks, each with its ALPN id.</summary>
public enum ClientProtocol
{
    Spdy31,
    Spdy3,
    Spdy2,
    Http2,
    Http11,
}

public static class ClientProtocols
{
    /// <summary>What the client offers by ALPN when no protocol is pinned, most preferred first.</summary>
    public static IReadOnlyList<ClientProtocol> DefaultOffer { get; } =
        [ClientProtocol.Spdy31, ClientProtocol.Spdy3, ClientProtocol.Spdy2, ClientProtocol.Http2, ClientProtocol.Http11];

    public static string AlpnId(this ClientProtocol protocol) => protocol switch
    {
        ClientProtocol.Spdy31 => "spdy/3.1",
        ClientProtocol.Spdy3 => "spdy/3",
        ClientProtocol.Spdy2 => "spdy/2",
        ClientProtocol.Http2 => "h2",
        ClientProtocol.Http11 => "http/1.1",
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, null),
    };

    public static bool IsSpdy(this ClientProtocol protocol) =>
        protocol is ClientProtocol.Spdy31 or ClientProtocol.Spdy3 or ClientProtocol.Spdy2;

    /// <summary>Parses an ALPN id (`spdy/3.1`, `spdy/3`, `spdy/2`, `h2`, `http/1.1`); null if unknown.</summary>
    public static ClientProtocol? FromAlpnId(string? id) => id switch
    {
        "spdy/3.1" => ClientProtocol.Spdy31,
        "spdy/3" => ClientProtocol.Spdy3,
        "spdy/2" => ClientProtocol.Spdy2,
        "h2" => ClientProtocol.Http2,
        "http/1.1" => ClientProtocol.Http11,
        _ => null,
    };

    public const string AcceptedIds = "spdy/3.1, spdy/3, spdy/2, h2, http/1.1";
}
