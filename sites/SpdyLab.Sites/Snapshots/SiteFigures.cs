using System.IO.Compression;
using System.Text;

namespace SpdyLab.Sites.Snapshots;

/// <summary>
/// Per-page figures of a snapshot, measured the way PROFILE.md's sources count them: GETs, hosts,
/// resources and bytes by type (from Content-Type), bytes on the wire (response headers + bodies as
/// sent), uncompressed bytes (bodies after content-decoding), the share of compressible bytes sent
/// compressed, and header and cookie sizes (HTTP/1.1 text form: request or status line, header lines,
/// blank line). KB means 1024 bytes.
/// </summary>
public sealed record SiteFigures
{
    public required string Name { get; init; }
    public int Gets { get; init; }
    public int Hosts { get; init; }
    public int MostGetsToOneHost { get; init; }
    public int Images { get; init; }
    public double ImageKB { get; init; }
    public int Scripts { get; init; }
    public double ScriptKB { get; init; }
    public int Stylesheets { get; init; }
    public double CssKB { get; init; }
    public double HtmlKB { get; init; }
    /// <summary>Response headers plus bodies as sent (compressed where they were).</summary>
    public double WireKB { get; init; }
    /// <summary>Bodies after content-decoding.</summary>
    public double UncompressedKB { get; init; }
    /// <summary>Uncompressed bytes of HTML, CSS, JavaScript, JSON and other text.</summary>
    public double CompressibleKB { get; init; }
    /// <summary>Share of compressible (uncompressed) bytes that were sent with a content-coding.</summary>
    public double CompressedShare { get; init; }
    public double MeanRequestHeaderBytes { get; init; }
    public double MeanResponseHeaderBytes { get; init; }
    public int RequestsWithCookie { get; init; }
    public double MeanCookieBytes { get; init; }
    public int Requests { get; init; }
    public double TotalRequestHeaderBytes { get; init; }
    public double TotalResponseHeaderBytes { get; init; }
    public double TotalCookieBytes { get; init; }
    public double CompressedTextBytes { get; init; }

    public static SiteFigures Measure(Snapshot snapshot)
    {
        var exchanges = snapshot.Exchanges;
        double image = 0, script = 0, css = 0, html = 0, wire = 0, uncompressed = 0, compressible = 0, compressedText = 0;
        double requestHeaders = 0, responseHeaders = 0, cookieBytes = 0;
        int images = 0, scripts = 0, styles = 0, withCookie = 0;
        foreach (var e in exchanges)
        {
            var body = snapshot.BodyOf(e);
            var decoded = DecodedLength(e, body);
            var kind = Classify(e);
            var requestSize = RequestHeaderSize(e);
            var responseSize = ResponseHeaderSize(e);
            requestHeaders += requestSize;
            responseHeaders += responseSize;
            wire += responseSize + body.Length;
            uncompressed += decoded;
            if (e.RequestHeader("Cookie") is { } cookie)
            {
                withCookie++;
                cookieBytes += cookie.Length;
            }
            switch (kind)
            {
                case "image": images++; image += decoded; break;
                case "script": scripts++; script += decoded; break;
                case "css": styles++; css += decoded; break;
                case "html": html += decoded; break;
            }
            if (kind is "html" or "script" or "css" or "text")
            {
                compressible += decoded;
                if (e.ResponseHeader("Content-Encoding") is { Length: > 0 } coding && coding != "identity")
                {
                    compressedText += decoded;
                }
            }
        }
        var n = Math.Max(1, exchanges.Count);
        return new SiteFigures
        {
            Name = snapshot.Name,
            Gets = exchanges.Count(e => e.Method == "GET"),
            Hosts = exchanges.Select(e => e.Host).Distinct().Count(),
            MostGetsToOneHost = exchanges.Count == 0 ? 0 : exchanges.GroupBy(e => e.Host).Max(g => g.Count()),
            Images = images,
            ImageKB = image / 1024,
            Scripts = scripts,
            ScriptKB = script / 1024,
            Stylesheets = styles,
            CssKB = css / 1024,
            HtmlKB = html / 1024,
            WireKB = wire / 1024,
            UncompressedKB = uncompressed / 1024,
            CompressibleKB = compressible / 1024,
            CompressedShare = compressible == 0 ? 0 : compressedText / compressible,
            MeanRequestHeaderBytes = requestHeaders / n,
            MeanResponseHeaderBytes = responseHeaders / n,
            RequestsWithCookie = withCookie,
            MeanCookieBytes = withCookie == 0 ? 0 : cookieBytes / withCookie,
            Requests = exchanges.Count,
            TotalRequestHeaderBytes = requestHeaders,
            TotalResponseHeaderBytes = responseHeaders,
            TotalCookieBytes = cookieBytes,
            CompressedTextBytes = compressedText,
        };
    }

    /// <summary>Per-page means over several snapshots (each snapshot is one page).</summary>
    public static SiteFigures Mean(IReadOnlyList<SiteFigures> sites)
    {
        var n = Math.Max(1, sites.Count);
        var requests = Math.Max(1, sites.Sum(s => s.Requests));
        var cookies = sites.Sum(s => s.RequestsWithCookie);
        var compressible = sites.Sum(s => s.CompressibleKB * 1024);
        return new SiteFigures
        {
            Name = "mean",
            Gets = 0,
            Hosts = 0,
            Images = 0,
            ImageKB = sites.Sum(s => s.ImageKB) / n,
            ScriptKB = sites.Sum(s => s.ScriptKB) / n,
            CssKB = sites.Sum(s => s.CssKB) / n,
            HtmlKB = sites.Sum(s => s.HtmlKB) / n,
            WireKB = sites.Sum(s => s.WireKB) / n,
            UncompressedKB = sites.Sum(s => s.UncompressedKB) / n,
            CompressibleKB = sites.Sum(s => s.CompressibleKB) / n,
            CompressedShare = compressible == 0 ? 0 : sites.Sum(s => s.CompressedTextBytes) / compressible,
            MeanRequestHeaderBytes = sites.Sum(s => s.TotalRequestHeaderBytes) / requests,
            MeanResponseHeaderBytes = sites.Sum(s => s.TotalResponseHeaderBytes) / requests,
            RequestsWithCookie = cookies,
            MeanCookieBytes = cookies == 0 ? 0 : sites.Sum(s => s.TotalCookieBytes) / cookies,
            Requests = sites.Sum(s => s.Requests),
        };
    }

    /// <summary>image, script, css, html, text (JSON, XML, plain) or other, from the Content-Type.</summary>
    public static string Classify(ExchangeRecord e)
    {
        var type = (e.ResponseHeader("Content-Type") ?? "").Split(';')[0].Trim().ToLowerInvariant();
        if (type.StartsWith("image/", StringComparison.Ordinal)) return "image";
        if (type.Contains("javascript") || type.Contains("ecmascript")) return "script";
        if (type == "text/css") return "css";
        if (type is "text/html" or "application/xhtml+xml") return "html";
        if (type.StartsWith("text/", StringComparison.Ordinal) || type.Contains("json") || type.Contains("xml")) return "text";
        return "other";
    }

    public static int RequestHeaderSize(ExchangeRecord e) =>
        Encoding.UTF8.GetByteCount($"{e.Method} {e.Path} HTTP/1.1\r\n") + HeaderLinesSize(e.RequestHeaders) + 2;

    public static int ResponseHeaderSize(ExchangeRecord e) =>
        Encoding.UTF8.GetByteCount($"HTTP/1.1 {e.Status} {ReasonPhrase(e.Status)}\r\n") + HeaderLinesSize(e.ResponseHeaders) + 2;

    static int HeaderLinesSize(List<string[]> headers) => headers.Sum(h => Encoding.UTF8.GetByteCount(h[0]) + 2 + Encoding.UTF8.GetByteCount(h[1]) + 2);

    public static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        404 => "Not Found",
        _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } p ? p : "Unknown",
    };

    /// <summary>Length of the body after undoing gzip/deflate/br (the body's own length when it is
    /// not encoded, or cannot be decoded).</summary>
    public static long DecodedLength(ExchangeRecord e, ReadOnlyMemory<byte> body) => Decode(e, body).Length;

    public static ReadOnlyMemory<byte> Decode(ExchangeRecord e, ReadOnlyMemory<byte> body)
    {
        var coding = e.ResponseHeader("Content-Encoding")?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(coding) || coding == "identity" || body.IsEmpty)
        {
            return body;
        }
        try
        {
            using var input = new MemoryStream(body.ToArray());
            using Stream decoder = coding switch
            {
                "gzip" or "x-gzip" => new GZipStream(input, CompressionMode.Decompress),
                "deflate" => DeflateFor(body.Span, input),
                "br" => new BrotliStream(input, CompressionMode.Decompress),
                _ => throw new InvalidDataException(coding),
            };
            var output = new MemoryStream();
            decoder.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException)
        {
            return body;
        }
    }

    // "deflate" is zlib-wrapped per RFC 2616 but some servers sent raw deflate; accept both.
    static Stream DeflateFor(ReadOnlySpan<byte> body, Stream input) =>
        body.Length >= 2 && (body[0] & 0x0F) == 8 && ((body[0] << 8) | body[1]) % 31 == 0
            ? new ZLibStream(input, CompressionMode.Decompress)
            : new DeflateStream(input, CompressionMode.Decompress);
}
