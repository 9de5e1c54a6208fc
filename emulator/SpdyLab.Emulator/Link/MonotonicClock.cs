using System.Diagnostics;

namespace SpdyLab.Emulator.Link;

/// <summary>The link's clock: monotonic microseconds (Stopwatch), never the wall clock.</summary>
public static class MonotonicClock
{
    private static readonly long Frequency = Stopwatch.Frequency;

    public static long NowMicroseconds
    {
        get
        {
            long ticks = Stopwatch.GetTimestamp();
            return Frequency == 1_000_000_000 ? ticks / 1000 : (long)((Int128)ticks * 1_000_000 / Frequency);
        }
    }

    /// <summary>Now on the Unix clock in microseconds, for pcap timestamps.</summary>
    public static long UnixMicroseconds => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;
}
