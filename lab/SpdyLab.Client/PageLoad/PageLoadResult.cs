using System.Text.Json;
using System.Text.Json.Serialization;

namespace SpdyLab.Client.PageLoad;

/// <summary>Bytes one way, headers and bodies apart.</summary>
public sealed record ByteCounts(long Headers, long Bodies, long Socket);

/// <summary>Header bytes as HTTP/1.1 text (raw) and as sent on the wire (compressed for SPDY).</summary>
public sealed record HeaderCompression(long RequestRaw, long RequestWire, long ResponseRaw, long ResponseWire, bool WireKnown)
{
    /// <summary>Share of request header bytes saved on the wire (0.88 = 88% smaller).</summary>
    public double RequestSavings => RequestRaw == 0 ? 0 : 1 - (double)RequestWire / RequestRaw;

    public double ResponseSavings => ResponseRaw == 0 ? 0 : 1 - (double)ResponseWire / ResponseRaw;
}

public sealed record PushCounts(int Received, int Used, int Wasted, long WastedBytes);

/// <summary>HAR's timing phases, milliseconds (-1 when the phase did not happen).</summary>
public sealed record ResourceTimings(double Blocked, double Connect, double Ssl, double Send, double Wait, double Receive);

public sealed record ResourceResult(
    int Order,
    string Url,
    string Type,
    string DiscoveredBy,
    int Status,
    bool FromPush,
    int Connection,
    double Discovered,
    double Start,
    double End,
    ResourceTimings Timings,
    long RequestHeaderBytes,
    long ResponseHeaderBytes,
    long BodyBytes,
    string? Error);

/// <summary>One page load's measures, as printed and written as JSON.</summary>
public sealed class PageLoadResult
{
    public required string Site { get; init; }

    public required string Url { get; init; }

    public required string Protocol { get; init; }

    public required bool Tls { get; init; }

    /// <summary>multi-domain or single-domain (SPDY); per-host for HTTP/1.1 and h2.</summary>
    public required string Sessions { get; init; }

    public required string Feature { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Navigation start to the completion of the last resource (ms).</summary>
    public required double PageLoadTimeMs { get; init; }

    /// <summary>Where the browser's work came from: the snapshot's Chromium-recorded load graph, or the heuristic (docs/loader.md).</summary>
    public string TimingModel { get; init; } = "heuristic";

    /// <summary>Navigation start to the document's first response byte (ms).</summary>
    public required double TtfbMs { get; init; }

    /// <summary>Requests sent (pushed responses need none).</summary>
    public required int Requests { get; init; }

    public required int Resources { get; init; }

    public required int ResourcesKnown { get; init; }

    public required int Failed { get; init; }

    public required bool TimedOut { get; init; }

    public required int Connections { get; init; }

    /// <summary>Most connections opened for one host.</summary>
    public required int MaxConnectionsPerHost { get; init; }

    public required ByteCounts Up { get; init; }

    public required ByteCounts Down { get; init; }

    public required HeaderCompression HeaderBytes { get; init; }

    public required PushCounts Pushes { get; init; }

    /// <summary>References found in content that the recording does not have (not fetched: they would be 404s).</summary>
    public required IReadOnlyList<string> UnknownReferences { get; init; }

    public LowerBound.Figures? LowerBound { get; set; }

    public LinkParameters? Link { get; set; }

    /// <summary>Page load time over the lower bound (null without link parameters).</summary>
    public double? TimesLowerBound => LowerBound is { Ms: > 0 } bound ? PageLoadTimeMs / bound.Ms : null;

    public required IReadOnlyList<ResourceResult> ResourceList { get; init; }

    public required IReadOnlyList<ConnectionRecord> ConnectionList { get; init; }

    [JsonIgnore]
    public IReadOnlyList<ResourceLoad> Loads { get; init; } = [];

    /// <summary>Round trips the first connection's handshakes took (for the lower bound).</summary>
    [JsonIgnore]
    public int HandshakeRtts { get; init; }

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Adds the lower bound for the link the load ran over.</summary>
    public void SetLink(LinkParameters link)
    {
        Link = link;
        LowerBound = PageLoad.LowerBound.Compute(Loads, Down.Socket, Up.Socket, HandshakeRtts, link);
    }

    internal static PageLoadResult Build(
        PageDescription page,
        PageLoadOptions options,
        IPageTransport transport,
        IReadOnlyList<ResourceLoad> loads,
        IReadOnlyList<ConnectionRecord> connections,
        IReadOnlyList<string> unknown,
        DateTimeOffset startedAt,
        bool timedOut)
    {
        var document = loads.FirstOrDefault();
        // The load event: the last response that holds it up, then the page's onload work (both from the
        // snapshot's load graph, or its heuristic: docs/loader.md). Responses that do not hold it (XHRs, what
        // started after it) are still loaded and counted, but end after the page load time.
        var ends = loads.Where(l => l.End >= 0 && l.Resource.BlocksOnload).Select(l => l.End).DefaultIfEmpty(0).Max()
            + (loads.Count > 0 ? page.OnloadDelayMs : 0);
        var pushes = transport.Pushes;
        var pushed = pushes?.All ?? [];
        var unused = pushes?.Unused ?? [];
        var socketUp = connections.Sum(c => c.BytesUp);
        var socketDown = connections.Sum(c => c.BytesDown);
        var bodiesDown = loads.Where(l => !l.FromPush).Sum(l => l.ResponseBodyWireBytes) + pushed.Sum(p => p.ResponseBodyWireBytes);
        var sessionWire = transport.HeaderWireBytes;
        var wireKnown = sessionWire is not null || loads.All(l => l.HeaderBytesKnown || l.FromPush);
        var requestWire = loads.Sum(l => l.RequestHeaderBytes);
        var responseWire = loads.Where(l => !l.FromPush).Sum(l => l.ResponseHeaderBytes) + pushed.Sum(p => p.ResponseHeaderBytes);
        var responseRaw = loads.Where(l => !l.FromPush).Sum(l => l.ResponseHeaderBytesRaw) + pushed.Sum(p => p.ResponseHeaderBytesRaw);
        if (sessionWire is { } totals)
        {
            // SPDY: header blocks are compressed with one zlib context per session; the sessions count them.
            requestWire = totals.Sent;
            responseWire = totals.Received;
        }
        else if (!wireKnown)
        {
            // A transport that hides its frames: what crossed the socket that was not body was headers and framing.
            requestWire = socketUp;
            responseWire = Math.Max(0, socketDown - bodiesDown);
        }

        var first = connections.OrderBy(c => c.Id).FirstOrDefault();
        return new PageLoadResult
        {
            Site = page.Name,
            Url = document?.RequestUrl.AbsoluteUri ?? page.Document.Url,
            Protocol = options.Protocol,
            Tls = options.Tls,
            Sessions = options.Protocol.StartsWith("spdy", StringComparison.Ordinal) ? (options.SingleDomain ? "single-domain" : "multi-domain") : "per-host",
            Feature = options.Feature,
            StartedAt = startedAt,
            PageLoadTimeMs = ends,
            TimingModel = page.TimingModel,
            TtfbMs = document?.FirstByte ?? -1,
            Requests = loads.Count(l => !l.FromPush && l.SendStart >= 0),
            Resources = loads.Count(l => l.Error is null),
            ResourcesKnown = page.Resources.Count,
            Failed = loads.Count(l => l.Error is not null),
            TimedOut = timedOut,
            Connections = connections.Count,
            MaxConnectionsPerHost = connections.GroupBy(c => c.Host, StringComparer.OrdinalIgnoreCase).Select(g => g.Count()).DefaultIfEmpty(0).Max(),
            Up = new ByteCounts(requestWire, 0, socketUp),
            Down = new ByteCounts(responseWire, bodiesDown, socketDown),
            HeaderBytes = new HeaderCompression(loads.Sum(l => l.RequestHeaderBytesRaw), requestWire, responseRaw, responseWire, wireKnown),
            Pushes = new PushCounts(pushed.Count, pushes?.Used ?? 0, unused.Count, unused.Sum(p => p.ResponseBodyWireBytes + p.ResponseHeaderBytes)),
            UnknownReferences = unknown,
            ResourceList = loads.Select(ToResult).ToList(),
            ConnectionList = connections,
            Loads = loads,
            HandshakeRtts = PageLoad.LowerBound.HandshakeRtts(options.Tls, first?.TlsVersion),
        };
    }

    public static ResourceTimings TimingsOf(ResourceLoad l)
    {
        static double Span(double from, double to) => from >= 0 && to >= from ? to - from : -1;
        if (l.FromPush)
        {
            // No request: the response was already (or still being) pushed when the page wanted it.
            return new ResourceTimings(0, -1, -1, 0, 0, Math.Max(0, l.End - l.DiscoveredAt));
        }

        var firstPhase = l.ConnectStart >= 0 ? l.ConnectStart : l.SendStart;
        var connectEnd = l.TlsEnd >= 0 ? l.TlsEnd : l.ConnectEnd;
        var blocked = Span(l.DiscoveredAt, firstPhase);
        if (l.ConnectStart >= 0 && connectEnd >= 0 && l.SendStart > connectEnd)
        {
            blocked += l.SendStart - connectEnd; // waited after the handshake (e.g. behind another request)
        }

        return new ResourceTimings(
            Math.Max(0, blocked),
            Span(l.ConnectStart, connectEnd),
            Span(l.TlsStart, l.TlsEnd),
            Math.Max(0, Span(l.SendStart, l.SendEnd)),
            Math.Max(0, Span(l.SendEnd, l.FirstByte)),
            Math.Max(0, Span(l.FirstByte, l.End)));
    }

    private static ResourceResult ToResult(ResourceLoad l) => new(
        l.Order,
        l.Resource.Url,
        l.Type.Name(),
        l.DiscoveredBy,
        l.Status,
        l.FromPush,
        l.ConnectionId,
        l.DiscoveredAt,
        l.FromPush ? l.DiscoveredAt : l.ConnectStart >= 0 ? l.ConnectStart : l.SendStart,
        l.End,
        TimingsOf(l),
        l.RequestHeaderBytes,
        l.ResponseHeaderBytes,
        l.ResponseBodyWireBytes,
        l.Error);
}
