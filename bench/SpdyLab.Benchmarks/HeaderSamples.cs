using SpdyLab.Protocol;

namespace SpdyLab.Benchmarks;

/// <summary>Header sets shaped like a browser's page-load requests and a web server's responses.</summary>
internal static class HeaderSamples
{
    public static HeaderList Request(SpdyProtocolProfile profile) => profile.CreateRequestHeaders(
        new SpdyRequestHead("GET", "https", "www.example.com", "/static/js/app.3f9c2a.js?v=12"),
        [
            new("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"),
            new("accept", "*/*"),
            new("accept-encoding", "gzip,deflate,sdch"),
            new("accept-language", "en-US,en;q=0.8"),
            new("accept-charset", "ISO-8859-1,utf-8;q=0.7,*;q=0.3"),
            new("referer", "https://www.example.com/"),
            new("cookie", "session=0a1b2c3d4e5f60718293a4b5c6d7e8f9; prefs=lang%3Den%26tz%3DUTC"),
        ]);

    public static HeaderList Response(SpdyProtocolProfile profile) => profile.CreateResponseHeaders(200, "OK",
        [
            new("content-type", "application/javascript; charset=utf-8"),
            new("content-length", "48213"),
            new("date", "Sun, 22 Nov 2026 03:00:00 GMT"),
            new("server", "Kestrel"),
            new("cache-control", "public, max-age=31536000"),
            new("etag", "\"3f9c2a-bc55\""),
            new("last-modified", "Fri, 20 Nov 2026 12:00:00 GMT"),
        ]);
}
