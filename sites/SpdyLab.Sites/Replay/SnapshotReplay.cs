using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Replay;

/// <summary>What the replay adds to a document's response.</summary>
public enum ReplayMode
{
    /// <summary>Recorded headers only.</summary>
    Plain,
    /// <summary>Adds <c>X-Associated-Content</c> (mod_spdy's push header) naming the document's subresources.</summary>
    Push,
    /// <summary>Adds <c>X-Subresources</c> (server hint) naming the document's subresources.</summary>
    Hint,
}

public sealed class SnapshotReplayOptions
{
    public required Snapshot Snapshot { get; init; }
    public ReplayMode Mode { get; init; } = ReplayMode.Plain;

    /// <summary>
    /// Whether a host's resources are served by this same server (so may be pushed or hinted). Null means
    /// every host of the snapshot (single-domain: one address serves every origin). For multi-domain
    /// serving, pass e.g. <c>host => host == documentHost</c>.
    /// </summary>
    public Func<string, bool>? IsServedHere { get; init; }

    /// <summary>Host to assume when a request carries none (HTTP/1.0); defaults to the page's host.</summary>
    public string? DefaultHost { get; init; }
}

/// <summary>
/// Serves a snapshot: the recorded status, headers and body (content-coding kept as recorded),
/// chosen by <see cref="ExchangeMatcher"/> from the request's method, scheme, Host (HTTP/1.1) or
/// :host (SPDY, which the server exposes as Host) and path. Unmatched requests get 404.
/// A page recorded over http:// and replayed over TLS is served as a site would serve it today, every
/// origin over https (<see cref="TlsReplay"/>), so a browser loads the whole page instead of blocking its
/// http:// scripts and stylesheets as mixed content.
/// </summary>
public sealed class SnapshotReplayMiddleware
{
    public const string PushHeader = "X-Associated-Content";
    public const string HintHeader = "X-Subresources";

    // Hop-by-hop and framing headers belong to the connection the recording was made on, not to the
    // resource; Kestrel (or the SPDY layer) frames the replayed body itself.
    static readonly HashSet<string> NotReplayed = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "TE", "Trailer", "Content-Length",
    };

    readonly SnapshotReplayOptions _options;
    readonly ExchangeMatcher _matcher;
    readonly Dictionary<int, List<ExchangeRecord>> _subresources;
    readonly string _defaultHost;
    readonly TlsReplay _tls;

    public SnapshotReplayMiddleware(RequestDelegate next, SnapshotReplayOptions options)
    {
        _ = next; // terminal: every request is answered from the snapshot (404 when nothing matches)
        _options = options;
        _matcher = new ExchangeMatcher(options.Snapshot.Exchanges);
        _defaultHost = options.DefaultHost ?? options.Snapshot.PageExchange?.Host ?? "localhost";
        _tls = new TlsReplay(options.Snapshot);
        _subresources = options.Mode == ReplayMode.Plain
            ? []
            : Subresources.ByDocument(options.Snapshot, options.IsServedHere ?? (_ => true));
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var host = request.Host.HasValue ? request.Host.Value! : _defaultHost;
        var pathAndQuery = request.Path.ToUriComponent() + request.QueryString.ToUriComponent();
        if (string.IsNullOrEmpty(pathAndQuery))
        {
            pathAndQuery = "/";
        }
        var (exchange, _) = _matcher.Match(request.Method, request.Scheme, host, RawTarget(context) ?? pathAndQuery);
        if (exchange is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            context.Response.ContentType = "text/plain; charset=utf-8";
            // The request is echoed for the person debugging a replay, cut short: a hostile 200 KB :path
            // (SPDY has no request-line limit) must not come back 200 KB long.
            await context.Response.WriteAsync($"spdylab replay: '{_options.Snapshot.Name}' has no recording of {Shorten($"{request.Method} {request.Scheme}://{host}{pathAndQuery}")}\n", context.RequestAborted);
            return;
        }

        var response = context.Response;
        response.StatusCode = exchange.Status;
        foreach (var header in exchange.ResponseHeaders)
        {
            if (!NotReplayed.Contains(header[0]))
            {
                var value = request.IsHttps ? _tls.HeaderValue(header[0], header[1]) : header[1];
                response.Headers.Append(header[0], HeaderSafe(value));
            }
        }
        if (request.IsHttps && TlsReplay.NeedsUpgradePolicy(exchange))
        {
            response.Headers.Append(TlsReplay.PolicyHeader, TlsReplay.UpgradePolicy);
        }
        if (_subresources.TryGetValue(exchange.Id, out var subresources))
        {
            // URLs in the scheme the page is being served with (an http recording replayed over SSL pushes
            // https URLs), and with the port the client used when it named one (a lab server on a high port).
            var port = request.Host.Port is { } p && p != (request.IsHttps ? 443 : 80) ? p : (int?)null;
            response.Headers.Append(_options.Mode == ReplayMode.Push ? PushHeader : HintHeader,
                Subresources.FormatHeader(subresources, request.Scheme, port));
        }
        var body = _options.Snapshot.BodyOf(exchange);
        if (exchange.Status is 204 or 304 || exchange.Status < 200)
        {
            return;
        }
        response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(request.Method) && body.Length > 0)
        {
            await response.Body.WriteAsync(body, context.RequestAborted);
        }
    }

    const int EchoLimit = 300;

    static string Shorten(string text) => text.Length <= EchoLimit ? text : $"{text[..EchoLimit]}... ({text.Length} characters)";

    /// <summary>The request target exactly as sent (Kestrel decodes Path; recordings hold the raw form).</summary>
    static string? RawTarget(HttpContext context)
    {
        var target = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target))
        {
            return null;
        }
        if (target.StartsWith('/'))
        {
            return target;
        }
        // Absolute form ("http://host/path", as proxies get it): keep path and query.
        return Uri.TryCreate(target, UriKind.Absolute, out var uri) ? uri.PathAndQuery : null;
    }

    /// <summary>Kestrel refuses non-ASCII and control characters in header values; recordings
    /// sometimes hold Latin-1 bytes. Those characters are replaced with '?' rather than failing the response.</summary>
    static string HeaderSafe(string value)
    {
        foreach (var c in value)
        {
            if (c is < ' ' and not '\t' or > '~')
            {
                var builder = new StringBuilder(value.Length);
                foreach (var d in value)
                {
                    builder.Append(d is < ' ' and not '\t' or > '~' ? '?' : d);
                }
                return builder.ToString();
            }
        }
        return value;
    }
}

public static class SnapshotReplayExtensions
{
    /// <summary>Answers every request from the snapshot (terminal middleware).</summary>
    public static IApplicationBuilder UseSnapshotReplay(this IApplicationBuilder app, SnapshotReplayOptions options) =>
        app.UseMiddleware<SnapshotReplayMiddleware>(options);
}
