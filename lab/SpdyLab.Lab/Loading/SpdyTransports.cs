using SpdyLab.Client.PageLoad;

namespace SpdyLab.Lab.Loading;

/// <summary>Where the page loader gets its SPDY transport from: the client's SPDY session (<see cref="SpdyPageTransport"/>).</summary>
public static class SpdyTransports
{
    public static Func<SpdyTransportContext, IPageTransport> Factory => context => new SpdyPageTransport(context);
}
