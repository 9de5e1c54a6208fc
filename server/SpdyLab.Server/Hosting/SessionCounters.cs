using SpdyLab.Protocol;

namespace SpdyLab.Server.Hosting;

/// <summary>One session's counters, copied when it ended.</summary>
public sealed record SessionCounterSnapshot(
    long StreamsOpenedByPeer, long StreamsRefused, long PushesSent, long ResetsSent, long ResetsReceived,
    long HeaderBytesSentRaw, long HeaderBytesSentCompressed, long HeaderBytesReceivedRaw, long HeaderBytesReceivedCompressed,
    long DataBytesSent, long DataBytesReceived, long BytesSent, long BytesReceived)
{
    public static SessionCounterSnapshot From(SpdySessionCounters c) => new(
        c.StreamsOpenedByPeer, c.StreamsRefused, c.PushesSent, c.ResetsSent, c.ResetsReceived,
        c.HeaderBytesSentRaw, c.HeaderBytesSentCompressed, c.HeaderBytesReceivedRaw, c.HeaderBytesReceivedCompressed,
        c.DataBytesSent, c.DataBytesReceived, c.BytesSent, c.BytesReceived);
}

/// <summary>What the server reports when a session ends.</summary>
public sealed record SessionReport(string ConnectionId, string Protocol, bool IsTls, DateTime Started, DateTime Ended, SessionCounterSnapshot Counters);

/// <summary>Counters summed over ended sessions (thread-safe).</summary>
public sealed class SessionCounterTotals
{
    private readonly object _lock = new();
    private SessionCounterSnapshot _sum = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    private long _sessions;

    public long Sessions
    {
        get { lock (_lock) { return _sessions; } }
    }

    public SessionCounterSnapshot Sum
    {
        get { lock (_lock) { return _sum; } }
    }

    internal void Add(SessionCounterSnapshot c)
    {
        lock (_lock)
        {
            _sessions++;
            var s = _sum;
            _sum = new SessionCounterSnapshot(
                s.StreamsOpenedByPeer + c.StreamsOpenedByPeer, s.StreamsRefused + c.StreamsRefused, s.PushesSent + c.PushesSent,
                s.ResetsSent + c.ResetsSent, s.ResetsReceived + c.ResetsReceived,
                s.HeaderBytesSentRaw + c.HeaderBytesSentRaw, s.HeaderBytesSentCompressed + c.HeaderBytesSentCompressed,
                s.HeaderBytesReceivedRaw + c.HeaderBytesReceivedRaw, s.HeaderBytesReceivedCompressed + c.HeaderBytesReceivedCompressed,
                s.DataBytesSent + c.DataBytesSent, s.DataBytesReceived + c.DataBytesReceived, s.BytesSent + c.BytesSent, s.BytesReceived + c.BytesReceived);
        }
    }
}
