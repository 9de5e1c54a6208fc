using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace SpdyLab.Client.PageLoad;

/// <summary>A reference found in content: the absolute URL and what the referencing element makes it.</summary>
public readonly record struct DiscoveredReference(Uri Url, ResourceType Type, string How);

/// <summary>
/// Finds the subresources a browser's parser would request from a document or a stylesheet.
/// HTML: stylesheets, icons, scripts, images (img, input type=image, background attributes), iframes,
/// frames, embeds and objects, and url()/@import in style elements and style attributes. CSS:
/// <c>@import</c> and <c>url()</c>. Script-inserted references are not found here: the loader takes
/// them from the recorded initiators when the script completes.
/// </summary>
public static partial class ResourceDiscovery
{
    private static readonly HtmlParser Parser = new(new HtmlParserOptions { IsScripting = true });

    public static List<DiscoveredReference> FromHtml(string html, Uri documentUrl)
    {
        var document = Parser.ParseDocument(html);
        var baseUrl = documentUrl;
        if (document.QuerySelector("base[href]")?.GetAttribute("href") is { } baseHref && Resolve(documentUrl, baseHref) is { } resolvedBase)
        {
            baseUrl = resolvedBase;
        }

        var found = new List<DiscoveredReference>();
        void Add(string? href, ResourceType type, string how)
        {
            if (Resolve(baseUrl, href) is { } url)
            {
                found.Add(new DiscoveredReference(url, type, how));
            }
        }

        // Document order, as the parser meets them (the order a browser queues requests in).
        foreach (var element in document.All)
        {
            switch (element.LocalName)
            {
                case "link":
                    var rel = (element.GetAttribute("rel") ?? string.Empty).ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (rel.Contains("stylesheet"))
                    {
                        Add(element.GetAttribute("href"), ResourceType.Stylesheet, "parser");
                    }
                    else if (rel.Contains("icon") || rel.Contains("apple-touch-icon"))
                    {
                        Add(element.GetAttribute("href"), ResourceType.Image, "parser");
                    }

                    break;
                case "script":
                    Add(element.GetAttribute("src"), ResourceType.Script, "parser");
                    break;
                case "img":
                    Add(element.GetAttribute("src"), ResourceType.Image, "parser");
                    break;
                case "input" when string.Equals(element.GetAttribute("type"), "image", StringComparison.OrdinalIgnoreCase):
                    Add(element.GetAttribute("src"), ResourceType.Image, "parser");
                    break;
                case "iframe" or "frame":
                    Add(element.GetAttribute("src"), ResourceType.Document, "parser");
                    break;
                case "embed":
                    Add(element.GetAttribute("src"), ResourceType.Other, "parser");
                    break;
                case "object":
                    Add(element.GetAttribute("data"), ResourceType.Other, "parser");
                    break;
                case "style":
                    foreach (var reference in FromCss(element.TextContent, baseUrl))
                    {
                        found.Add(reference);
                    }

                    break;
            }

            if (element.GetAttribute("background") is { } background)
            {
                Add(background, ResourceType.Image, "parser");
            }

            if (element.GetAttribute("style") is { } style && style.Contains("url(", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var reference in FromCss(style, baseUrl))
                {
                    found.Add(reference);
                }
            }
        }

        return found;
    }

    public static List<DiscoveredReference> FromCss(string css, Uri stylesheetUrl)
    {
        var found = new List<DiscoveredReference>();
        var text = CommentPattern().Replace(css, " ");
        foreach (Match import in ImportPattern().Matches(text))
        {
            var target = import.Groups["url"].Success ? import.Groups["url"].Value : import.Groups["string"].Value;
            if (Resolve(stylesheetUrl, Unquote(target)) is { } url)
            {
                found.Add(new DiscoveredReference(url, ResourceType.Stylesheet, "css"));
            }
        }

        var withoutImports = ImportPattern().Replace(text, " ");
        foreach (Match reference in UrlPattern().Matches(withoutImports))
        {
            if (Resolve(stylesheetUrl, Unquote(reference.Groups["url"].Value)) is { } url)
            {
                var type = url.AbsolutePath.EndsWith(".woff", StringComparison.OrdinalIgnoreCase)
                    || url.AbsolutePath.EndsWith(".woff2", StringComparison.OrdinalIgnoreCase)
                    || url.AbsolutePath.EndsWith(".ttf", StringComparison.OrdinalIgnoreCase)
                    || url.AbsolutePath.EndsWith(".eot", StringComparison.OrdinalIgnoreCase)
                    ? ResourceType.Font
                    : ResourceType.Image;
                found.Add(new DiscoveredReference(url, type, "css"));
            }
        }

        return found;
    }

    /// <summary>The body as text for parsing: content-coding (gzip, deflate) undone; charset from the
    /// Content-Type when given, else UTF-8.</summary>
    public static string DecodeText(byte[] body, string? contentEncoding, string? contentType)
    {
        var bytes = Decode(body, contentEncoding);
        var encoding = Encoding.UTF8;
        if (contentType is not null && CharsetPattern().Match(contentType) is { Success: true } charset)
        {
            try
            {
                encoding = Encoding.GetEncoding(charset.Groups[1].Value.Trim('"', '\''));
            }
            catch (ArgumentException)
            {
                encoding = Encoding.Latin1; // unknown charset: bytes as characters keeps ASCII URLs intact
            }
        }

        return encoding.GetString(bytes);
    }

    /// <summary>Undoes gzip/x-gzip and deflate (zlib-wrapped, or raw as some servers sent it).</summary>
    public static byte[] Decode(byte[] body, string? contentEncoding)
    {
        var coding = contentEncoding?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(coding) || coding == "identity" || body.Length == 0)
        {
            return body;
        }

        try
        {
            return coding switch
            {
                "gzip" or "x-gzip" => Inflate(new GZipStream(new MemoryStream(body), CompressionMode.Decompress)),
                "deflate" => body.Length > 1 && (body[0] & 0x0f) == 8 && ((body[0] << 8) | body[1]) % 31 == 0
                    ? Inflate(new ZLibStream(new MemoryStream(body), CompressionMode.Decompress))
                    : Inflate(new DeflateStream(new MemoryStream(body), CompressionMode.Decompress)),
                _ => body,
            };
        }
        catch (InvalidDataException)
        {
            return body; // mislabelled body: parse what is there
        }
    }

    private static byte[] Inflate(Stream stream)
    {
        using (stream)
        {
            using var output = new MemoryStream();
            stream.CopyTo(output);
            return output.ToArray();
        }
    }

    private static Uri? Resolve(Uri baseUrl, string? reference)
    {
        if (string.IsNullOrWhiteSpace(reference))
        {
            return null;
        }

        reference = reference.Trim();
        var hash = reference.IndexOf('#');
        if (hash == 0)
        {
            return null;
        }

        if (hash > 0)
        {
            reference = reference[..hash];
        }

        if (!Uri.TryCreate(baseUrl, reference, out var url) || url.Scheme is not ("http" or "https"))
        {
            return null; // data:, javascript:, about:, mailto: and garbage
        }

        return url;
    }

    private static string Unquote(string value)
    {
        value = value.Trim();
        return value.Length >= 2 && (value[0] is '"' or '\'') && value[^1] == value[0] ? value[1..^1].Trim() : value;
    }

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex CommentPattern();

    [GeneratedRegex(@"@import\s+(?:url\(\s*(?<url>[^)]*?)\s*\)|(?<string>""[^""]*""|'[^']*'))[^;]*;?", RegexOptions.IgnoreCase)]
    private static partial Regex ImportPattern();

    [GeneratedRegex(@"url\(\s*(?<url>""[^""]*""|'[^']*'|[^)]*?)\s*\)", RegexOptions.IgnoreCase)]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"charset\s*=\s*([^;\s]+)", RegexOptions.IgnoreCase)]
    private static partial Regex CharsetPattern();
}
