using System.Globalization;

namespace SpdyLab.Emulator.Link;

/// <summary>
/// A Mahimahi packet-delivery trace: one line per delivery opportunity, holding the millisecond at
/// which the link may deliver up to <see cref="OpportunityBytes"/> bytes. Several lines may share a
/// millisecond (several opportunities then). The trace loops: its period is the last timestamp.
/// </summary>
public sealed class MahimahiTrace
{
    /// <summary>Bytes per delivery opportunity (Mahimahi's MTU-sized packet).</summary>
    public const int OpportunityBytes = 1500;

    public MahimahiTrace(IReadOnlyList<long> opportunitiesMs, string source = "trace")
    {
        if (opportunitiesMs.Count == 0) throw new FormatException($"{source}: the trace has no delivery opportunities");
        for (int i = 1; i < opportunitiesMs.Count; i++)
        {
            if (opportunitiesMs[i] < opportunitiesMs[i - 1])
                throw new FormatException($"{source}: line {i + 1}: timestamp {opportunitiesMs[i]} is smaller than the one before ({opportunitiesMs[i - 1]}); timestamps must not decrease");
        }
        if (opportunitiesMs[0] < 0) throw new FormatException($"{source}: line 1: timestamps cannot be negative");
        if (opportunitiesMs[^1] <= 0) throw new FormatException($"{source}: the last timestamp must be positive (it is the loop period in ms)");
        OpportunitiesMs = opportunitiesMs.ToArray();
        Source = source;
    }

    public IReadOnlyList<long> OpportunitiesMs { get; }

    public string Source { get; }

    public long PeriodMs => OpportunitiesMs[^1];

    /// <summary>Average rate the trace offers, in bits per second.</summary>
    public long MeanBitsPerSecond => (long)(OpportunitiesMs.Count * (double)OpportunityBytes * 8 * 1000 / PeriodMs);

    public static MahimahiTrace Parse(TextReader reader, string source)
    {
        var list = new List<long>();
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#')) continue;
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
                throw new FormatException($"{source}: line {lineNumber}: '{text}' is not a millisecond timestamp (a trace holds one non-negative integer per line)");
            list.Add(ms);
        }
        return new MahimahiTrace(list, source);
    }

    public static MahimahiTrace Load(string path)
    {
        using var reader = new StreamReader(path);
        return Parse(reader, path);
    }
}
