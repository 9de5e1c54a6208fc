using System.Numerics;

namespace SpdyLab.Emulator.Link;

/// <summary>
/// Counts of non-negative durations (microseconds) in log-linear buckets: exact below 256 us, then 128
/// buckets per power of two (relative error under 0.8%). Fixed memory whatever the run length.
/// </summary>
public sealed class LatencyHistogram
{
    private const int LinearLimit = 256;
    private const int SubBucketBits = 7;
    private const int SubBuckets = 1 << SubBucketBits;
    private readonly long[] _counts = new long[LinearLimit + (64 - 8) * SubBuckets];

    public long Count { get; private set; }

    public long Max { get; private set; }

    public void Record(long value)
    {
        if (value < 0) value = 0;
        _counts[IndexOf(value)]++;
        Count++;
        if (value > Max) Max = value;
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1), or 0 when empty.</summary>
    public long Percentile(double q)
    {
        if (Count == 0) return 0;
        long rank = Math.Max(1, (long)Math.Ceiling(q * Count));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank) return Math.Min(ValueOf(i), Max);
        }
        return Max;
    }

    private static int IndexOf(long value)
    {
        if (value < LinearLimit) return (int)value;
        int exponent = 63 - BitOperations.LeadingZeroCount((ulong)value); // >= 8
        int mantissa = (int)((value >> (exponent - SubBucketBits)) & (SubBuckets - 1));
        return LinearLimit + (exponent - 8) * SubBuckets + mantissa;
    }

    /// <summary>Middle of bucket <paramref name="index"/>.</summary>
    private static long ValueOf(int index)
    {
        if (index < LinearLimit) return index;
        int exponent = (index - LinearLimit) / SubBuckets + 8;
        int mantissa = (index - LinearLimit) % SubBuckets;
        long width = 1L << (exponent - SubBucketBits);
        return (1L << exponent) + mantissa * width + width / 2;
    }
}
