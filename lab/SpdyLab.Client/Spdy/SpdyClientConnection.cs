using SpdyLab.Client.Transport;

namespace SpdyLab.Client.Spdy;

/// <summary>TEMPORARY until the protocol engine lands: SPDY is not available yet.</summary>
internal static class SpdyClientConnection
{
    public static IClientConnection Start(TransportConnection transport, ClientProtocol protocol, Uri origin, ClientOptions options)
    {
        _ = transport.DisposeAsync();
        throw new SpdyClientException(ClientErrorKind.Negotiation, $"{origin.Authority}: {protocol.AlpnId()} needs the SPDY session engine, which has not landed yet");
    }
}
