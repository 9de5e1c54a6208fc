using SpdyLab.Client.PageLoad;

namespace SpdyLab.Lab.Loading;

/// <summary>Where the page loader gets its SPDY transport from (the client's SPDY session).</summary>
public static class SpdyTransports
{
    /// <summary>Null until the SPDY client session is available: the loader then says SPDY is not available.</summary>
    public static Func<SpdyTransportContext, IPageTransport>? Factory => null;
}
