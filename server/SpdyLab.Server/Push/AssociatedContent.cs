using SpdyLab.Server.Http;

namespace SpdyLab.Server.Push;

/// <summary>
/// The X-Associated-Content response header (the whitepaper's push mechanism, as mod_spdy reads it):
/// a comma-separated list of quoted URLs, each optionally followed by ":priority" (0-7, 0 highest):
/// <c>"https://www.example.com/a.css":1, "/b.js"</c>. Unquoted URLs are accepted too. Only URLs of the
/// request's own origin are pushed (SPDY/3 §3.3: browsers reject cross-origin pushes), unless the server
/// allows other hosts (<c>SpdyServerOptions.PushOtherHosts</c>, for the lab's single-domain sessions).
/// </summary>
public static class AssociatedContent
{
    public const string HeaderName = "X-Associated-Content";

    /// <summary>One entry as written: the URL text and its priority, if any.</summary>
    public readonly record struct Entry(string Url, int? Priority);

    /// <summary>Splits a header value into entries; malformed entries are skipped.</summary>
    public static List<Entry> Parse(string value)
    {
        var entries = new List<Entry>();
        var i = 0;
        while (i < value.Length)
        {
            while (i < value.Length && (value[i] == ',' || char.IsWhiteSpace(value[i])))
            {
                i++;
            }
            if (i >= value.Length)
            {
                break;
            }
            string url;
            if (value[i] == '"')
            {
                var close = value.IndexOf('"', i + 1);
                if (close < 0)
                {
                    break; // unterminated quote: the rest is garbage
                }
                url = value[(i + 1)..close];
                i = close + 1;
            }
            else
            {
                // Unquoted: up to the next comma. A trailing ":digits" is a priority, not a port, only
                // when quoted URLs are used; unquoted entries keep their text (a port stays a port).
                var end = value.IndexOf(',', i);
                if (end < 0)
                {
                    end = value.Length;
                }
                url = value[i..end].Trim();
                i = end;
                entries.Add(new Entry(url, null));
                continue;
            }
            int? priority = null;
            while (i < value.Length && char.IsWhiteSpace(value[i]))
            {
                i++;
            }
            if (i < value.Length && value[i] == ':')
            {
                i++;
                while (i < value.Length && char.IsWhiteSpace(value[i]))
                {
                    i++;
                }
                var start = i;
                while (i < value.Length && char.IsAsciiDigit(value[i]))
                {
                    i++;
                }
                if (i > start && int.TryParse(value.AsSpan(start, i - start), out var p))
                {
                    priority = Math.Clamp(p, 0, 7);
                }
            }
            // Skip anything else up to the next comma.
            while (i < value.Length && value[i] != ',')
            {
                i++;
            }
            if (url.Length > 0)
            {
                entries.Add(new Entry(url, priority));
            }
        }
        return entries;
    }

    /// <summary>
    /// Resolves an entry against the request's origin: an absolute path, or an absolute URL of the same
    /// scheme and host. Null when it is another origin or not a URL.
    /// </summary>
    public static PushTarget? Resolve(Entry entry, string scheme, string host, bool allowOtherHosts = false)
    {
        if (entry.Url.StartsWith('/') && !entry.Url.StartsWith("//", StringComparison.Ordinal))
        {
            return new PushTarget(scheme, host, entry.Url, entry.Priority);
        }
        if (!Uri.TryCreate(entry.Url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            return null;
        }
        var authority = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        var sameHost = string.Equals(authority, host, StringComparison.OrdinalIgnoreCase)
            || (uri.IsDefaultPort && string.Equals(uri.Host, StripDefaultPort(host, scheme), StringComparison.OrdinalIgnoreCase));
        if (!string.Equals(uri.Scheme, scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        if (!sameHost)
        {
            // Another host served by this same server (the lab's single-domain setup: every host of a page
            // on one connection, routed by :host). Browsers refuse such pushes (same-origin); the lab's
            // client may take them. Off unless allowed.
            return allowOtherHosts ? new PushTarget(scheme, authority, uri.PathAndQuery, entry.Priority) : null;
        }
        return new PushTarget(scheme, host, uri.PathAndQuery, entry.Priority);
    }

    private static string StripDefaultPort(string host, string scheme)
    {
        var suffix = scheme == "https" ? ":443" : ":80";
        return host.EndsWith(suffix, StringComparison.Ordinal) ? host[..^suffix.Length] : host;
    }
}
