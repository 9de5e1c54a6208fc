using SpdyLab.Client.Http;
using SpdyLab.Client.Spdy;
using SpdyLab.Client.Transport;

namespace SpdyLab.Client;

/// <summary>
/// Opens a connection to an origin and picks the protocol: https negotiates by ALPN (or offers only the
/// pinned protocol), http speaks the pinned protocol in cleartext, SPDY/3.1 by default.
/// </summary>
public static class ClientConnector
{
    public static async Task<IClientConnection> ConnectAsync(Uri origin, ClientOptions options, CancellationToken cancellationToken)
    {
        var tls = origin.Scheme switch
        {
            "https" => true,
            "http" => false,
            _ => throw new SpdyClientException(ClientErrorKind.Connect, $"'{origin}': scheme '{origin.Scheme}' is not http or https"),
        };

        if (!tls)
        {
            var protocol = options.Protocol ?? ClientProtocol.Spdy31;
            if (!protocol.IsSpdy())
            {
                // HttpClient connects by itself through our ConnectCallback.
                return new HttpClientConnection(origin, protocol, null, options);
            }

            var plain = await ClientTransport.ConnectAsync(origin.IdnHost, origin.Port, false, [], options, cancellationToken);
            return SpdyClientConnection.Start(plain, protocol, origin, options);
        }

        var offer = options.Protocol is { } pinned ? [pinned] : ClientProtocols.DefaultOffer;
        var connection = await ClientTransport.ConnectAsync(origin.IdnHost, origin.Port, true, offer.Select(p => p.AlpnId()).ToList(), options, cancellationToken);
        ClientProtocol chosen;
        if (connection.AlpnProtocol is null)
        {
            // No ALPN in the handshake: the server is not choosing, so use what was pinned, else HTTP/1.1.
            chosen = options.Protocol ?? ClientProtocol.Http11;
            options.Trace?.Invoke($"* server did not negotiate ALPN; speaking {chosen.AlpnId()}");
        }
        else if (ClientProtocols.FromAlpnId(connection.AlpnProtocol) is { } known && offer.Contains(known))
        {
            chosen = known;
        }
        else
        {
            await connection.DisposeAsync();
            throw new SpdyClientException(ClientErrorKind.Negotiation, $"{origin.Authority}: server chose ALPN '{connection.AlpnProtocol}', which was not offered ({string.Join(", ", offer.Select(p => p.AlpnId()))})");
        }

        return chosen.IsSpdy()
            ? SpdyClientConnection.Start(connection, chosen, origin, options)
            : new HttpClientConnection(origin, chosen, connection, options);
    }
}
