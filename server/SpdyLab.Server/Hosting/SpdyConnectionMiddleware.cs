using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;

namespace SpdyLab.Server.Hosting;

/// <summary>
/// Kestrel connection middleware: hands SPDY connections to <see cref="SpdyConnectionHandler"/> and
/// everything else to the next middleware (Kestrel's own HTTP/1.1 and HTTP/2).
/// </summary>
internal static class SpdyConnectionMiddleware
{
    /// <summary>After TLS: ALPN decides.</summary>
    public static ConnectionDelegate AfterTls(ConnectionDelegate next, SpdyConnectionHandler handler) => connection =>
    {
        var alpn = connection.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol ?? default;
        var version = SpdyServerOptions.FromAlpn(alpn.Span);
        return version is { } v ? handler.HandleAsync(connection, v, isTls: true) : next(connection);
    };

    /// <summary>Cleartext: the first bytes decide (SPDY control frame or an HTTP request).</summary>
    public static ConnectionDelegate Cleartext(ConnectionDelegate next, SpdyConnectionHandler handler) => async connection =>
    {
        CleartextProtocol protocol;
        using (var firstBytesTimeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
        {
            // A connection that never sends anything is Kestrel's problem, not ours: HTTP/1.1 has its
            // own timeouts. But we must not hold it forever while sniffing.
            firstBytesTimeout.CancelAfter(handler.Options.IdleTimeout);
            try
            {
                protocol = await CleartextSniffer.PeekAsync(connection.Transport.Input, firstBytesTimeout.Token);
            }
            catch (OperationCanceledException)
            {
                handler.Logger.LogDebug("connection {Id}: nothing received within {Timeout}; closed", connection.ConnectionId, handler.Options.IdleTimeout);
                return;
            }
        }
        switch (protocol)
        {
            case CleartextProtocol.Http:
                await next(connection);
                break;
            case CleartextProtocol.SpdyVersion2:
                await handler.HandleAsync(connection, SpdyWireVersion.Spdy2, isTls: false);
                break;
            case CleartextProtocol.SpdyVersion3:
                // Not told: SPDY/3.1 books, session window enforced once the peer shows 3.1 (SpdyServerOptions.CleartextVersion3).
                await handler.HandleAsync(connection, handler.Options.CleartextVersion3 ?? SpdyWireVersion.Spdy31, isTls: false,
                    sessionWindowFromPeerUpdate: handler.Options.CleartextVersion3 is null);
                break;
            default:
                handler.Logger.LogInformation("connection {Id} from {Remote}: neither HTTP nor a SPDY version we speak; closed",
                    connection.ConnectionId, connection.RemoteEndPoint);
                break;
        }
    };
}
