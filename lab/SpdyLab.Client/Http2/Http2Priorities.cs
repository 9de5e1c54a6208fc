namespace SpdyLab.Client.Http2;

/// <summary>Chromium's request priorities (net/base/request_priority.h), highest last.</summary>
public enum Http2RequestPriority
{
    Throttled = 0,
    Idle = 1,
    Lowest = 2,
    Low = 3,
    Medium = 4,
    Highest = 5,
}

/// <summary>
/// How Chromium turns a request priority into HTTP/2 HEADERS priority fields and the RFC 9218
/// <c>priority</c> header:
/// <list type="bullet">
/// <item>SPDY/3 priority = HIGHEST - priority (0 for HIGHEST .. 5 for THROTTLED; net/spdy/spdy_http_utils.cc
/// ConvertRequestPriorityToSpdyPriority);</item>
/// <item>weight = floor(255.9 / 7 * (7 - spdy priority)) + 1: 256, 220, 183, 147, 110, 74 (quiche
/// Spdy3PriorityToHttp2Weight);</item>
/// <item>dependency (net/spdy/http2_priority_dependencies.cc): each new stream depends exclusively on the
/// most recently opened stream still open whose priority is the same or higher, or on stream 0;</item>
/// <item>urgency u = HIGHEST - priority (0..5), with RFC 9218's default u=3 and i=false left out of the header.</item>
/// </list>
/// </summary>
public static class Http2Priorities
{
    public const int SpdyPriorityCount = 8;

    public static int SpdyPriority(Http2RequestPriority priority) => Http2RequestPriority.Highest - priority;

    public static int Weight(int spdyPriority) => (int)(255.9f / 7f * (7 - Math.Clamp(spdyPriority, 0, 7))) + 1;

    /// <summary>RFC 9218 §4: "u=N" unless N is the default 3, and "i" when incremental; null when both are default.</summary>
    public static string? PriorityHeader(Http2RequestPriority priority, bool incremental)
    {
        var urgency = Http2RequestPriority.Highest - priority;
        var parts = new List<string>(2);
        if (urgency != 3)
        {
            parts.Add($"u={urgency}");
        }

        if (incremental)
        {
            parts.Add("i");
        }

        return parts.Count == 0 ? null : string.Join(", ", parts);
    }
}

/// <summary>Chromium's dependency tree bookkeeping: per SPDY priority, the open streams in the order they were opened.</summary>
internal sealed class Http2PriorityDependencies
{
    private readonly List<int>[] _open = Enumerable.Range(0, Http2Priorities.SpdyPriorityCount).Select(_ => new List<int>()).ToArray();

    public Http2StreamPriority OnStreamOpened(int streamId, int spdyPriority)
    {
        var parent = 0;
        for (var p = spdyPriority; p >= 0; p--)
        {
            if (_open[p].Count > 0)
            {
                parent = _open[p][^1];
                break;
            }
        }

        _open[spdyPriority].Add(streamId);
        return new Http2StreamPriority(parent, Exclusive: true, Http2Priorities.Weight(spdyPriority));
    }

    public void OnStreamClosed(int streamId, int spdyPriority) => _open[spdyPriority].Remove(streamId);
}
