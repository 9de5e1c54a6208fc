using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SpdyLab.Server.Hosting;

/// <summary>Runs one SPDY session over a Kestrel connection, its streams as requests of the captured app.</summary>
public sealed class SpdyConnectionHandler(SpdyApplication application, IOptions<SpdyServerOptions> options, ILoggerFactory loggerFactory)
{
    internal SpdyServerOptions Options { get; } = options.Value;

    internal ILogger Logger { get; } = loggerFactory.CreateLogger("SpdyLab.Server");

    internal SpdyApplication Application { get; } = application;

    internal Task HandleAsync(ConnectionContext connection, SpdyWireVersion version, bool isTls)
    {
        // The session engine (SpdyLab.Protocol) has not landed yet: refuse politely by closing.
        Logger.LogWarning("connection {Id} from {Remote}: {Version} ({Transport}) is not served yet; closed",
            connection.ConnectionId, connection.RemoteEndPoint, SpdyServerOptions.AlpnId(version), isTls ? "TLS" : "cleartext");
        return Task.CompletedTask;
    }
}
