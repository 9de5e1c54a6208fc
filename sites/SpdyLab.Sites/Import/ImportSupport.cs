using System.IO.Compression;
using System.Text;
using SpdyLab.Sites.Corpus;
using SpdyLab.Sites.Images;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Import;

/// <summary>What every importer shares: URL splitting, body encoding and synthesis, initiator inference.</summary>
public static class ImportSupport
{
    /// <summary>Scheme, host (lower case, default port dropped) and the raw path and query of an absolute URL
    /// (kept as written, since the client will request it as written); null for non-HTTP URLs.</summary>
    public static (string Scheme, string Host, string PathAndQuery)? SplitUrl(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            return null;
        }
        var scheme = url[..schemeEnd].ToLowerInvariant();
        if (scheme is not ("http" or "https"))
        {
            return null;
        }
        var rest = url[(schemeEnd + 3)..];
        var hash = rest.IndexOf('#');
        if (hash >= 0)
        {
            rest = rest[..hash];
        }
        var pathStart = rest.IndexOfAny(['/', '?']);
        var authority = pathStart < 0 ? rest : rest[..pathStart];
        var path = pathStart < 0 ? "/" : rest[pathStart..];
        if (path.StartsWith('?'))
        {
            path = "/" + path;
        }
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            authority = authority[(at + 1)..];
        }
        if (authority.Length == 0)
        {
            return null;
        }
        return (scheme, Replay.ExchangeMatcher.NormalizeHost(authority, scheme), path);
    }

    /// <summary>
    /// The bytes to serve for a body that the archive stored decoded (HAR always does): encoded again with
    /// the response's Content-Encoding, so the replay sends what the headers say. Bodies that already look
    /// encoded (a gzip magic number) are kept as they are.
    /// </summary>
    public static (byte[] Body, bool Reencoded) EncodeAsDeclared(ExchangeRecord exchange, byte[] decoded)
    {
        var coding = exchange.ResponseHeader("Content-Encoding")?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(coding) || coding == "identity" || decoded.Length == 0)
        {
            return (decoded, false);
        }
        if (coding is "gzip" or "x-gzip" && decoded.Length >= 2 && decoded[0] == 0x1F && decoded[1] == 0x8B)
        {
            return (decoded, false);
        }
        var output = new MemoryStream();
        Stream? encoder = coding switch
        {
            "gzip" or "x-gzip" => new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true),
            "deflate" => new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true),
            "br" => new BrotliStream(output, CompressionLevel.Optimal, leaveOpen: true),
            _ => null,
        };
        if (encoder is null)
        {
            return (decoded, false); // unknown coding: serve as stored
        }
        using (encoder)
        {
            encoder.Write(decoded);
        }
        return (output.ToArray(), true);
    }

    /// <summary>A stand-in body of <paramref name="size"/> bytes of the right kind: a decodable image for
    /// image types, text for text types, zeros otherwise.</summary>
    public static byte[] Synthesize(string? mimeType, long size, int seed)
    {
        var type = (mimeType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        var length = (int)Math.Clamp(size, 0, 64 * 1024 * 1024);
        if (length == 0)
        {
            return [];
        }
        ImageFormat? format = type switch
        {
            "image/png" => ImageFormat.Png,
            "image/gif" => ImageFormat.Gif,
            "image/jpeg" or "image/jpg" or "image/pjpeg" => ImageFormat.Jpeg,
            _ => null,
        };
        if (format is { } f)
        {
            var side = (int)Math.Clamp(Math.Sqrt(length / 4.0), 1, 128);
            if (f == ImageFormat.Jpeg)
            {
                side = Math.Max(8, side / 8 * 8);
            }
            return ImageFactory.Create(f, length, side, side, seed).Bytes;
        }
        var text = new TextFactory(new Prng((ulong)seed + 1));
        var filler = type switch
        {
            "text/html" => $"<!-- {text.Filler(Math.Max(0, length - 9))} -->",
            "text/css" or "application/javascript" or "application/x-javascript" or "text/javascript" => $"/*{text.Filler(Math.Max(0, length - 4))}*/",
            _ when type.StartsWith("text/", StringComparison.Ordinal) || type.Contains("json") || type.Contains("xml") => text.Filler(length),
            _ => null,
        };
        if (filler is not null)
        {
            var bytes = Encoding.ASCII.GetBytes(filler);
            return bytes.Length == length ? bytes : bytes.AsSpan(0, Math.Min(length, bytes.Length)).ToArray();
        }
        return new byte[length];
    }

    /// <summary>
    /// Fills in initiators the archive did not record: a request whose Referer is an earlier exchange's URL
    /// was caused by it ("parser" for a document, "css" for a stylesheet); a request for the Location of an
    /// earlier redirect was caused by that redirect.
    /// </summary>
    public static void InferInitiators(List<ExchangeRecord> exchanges)
    {
        var byUrl = new Dictionary<string, ExchangeRecord>(StringComparer.Ordinal);
        var redirectTargets = new Dictionary<string, ExchangeRecord>(StringComparer.Ordinal);
        foreach (var e in exchanges)
        {
            if (e.Initiator is null)
            {
                if (redirectTargets.TryGetValue(e.Url, out var redirect))
                {
                    e.Initiator = redirect.Id;
                    e.InitiatorType = "redirect";
                }
                else if (e.RequestHeader("Referer") is { } referer && byUrl.TryGetValue(StripFragment(referer), out var parent) && parent.Id != e.Id)
                {
                    e.Initiator = parent.Id;
                    e.InitiatorType = SiteFigures.Classify(parent) == "css" ? "css" : "parser";
                }
            }
            byUrl.TryAdd(e.Url, e);
            if (e.Status is >= 300 and < 400 && e.ResponseHeader("Location") is { } location
                && Uri.TryCreate(new Uri(e.Url), location, out var target))
            {
                redirectTargets.TryAdd(StripFragment(target.OriginalString.Contains("://") ? target.OriginalString : target.AbsoluteUri), e);
                redirectTargets.TryAdd(StripFragment(target.AbsoluteUri), e);
            }
        }
    }

    static string StripFragment(string url) => url.IndexOf('#') is var i and >= 0 ? url[..i] : url;

    /// <summary>The resource type from a recorded type hint, else from the Content-Type.</summary>
    public static string TypeOf(ExchangeRecord e, string? hint)
    {
        switch (hint?.ToLowerInvariant())
        {
            case "document": return "document";
            case "stylesheet": return "stylesheet";
            case "script": return "script";
            case "image": return "image";
            case "xhr" or "fetch": return "xhr";
            case "font": return "font";
            case "media": return "media";
        }
        if (e.Status is >= 300 and < 400)
        {
            return "other";
        }
        return SiteFigures.Classify(e) switch
        {
            "html" => "document",
            "css" => "stylesheet",
            "script" => "script",
            "image" => "image",
            "text" => "xhr",
            _ => "other",
        };
    }

    /// <summary>Latin-1 for single-byte charsets named in Content-Type, UTF-8 otherwise.</summary>
    public static Encoding TextEncoding(string? contentType)
    {
        var lower = contentType?.ToLowerInvariant() ?? "";
        return lower.Contains("iso-8859-1") || lower.Contains("latin1") || lower.Contains("windows-1252") || lower.Contains("us-ascii")
            ? Encoding.Latin1
            : Encoding.UTF8;
    }
}
