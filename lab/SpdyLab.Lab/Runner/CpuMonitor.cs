using System.Globalization;

namespace SpdyLab.Lab.Runner;

/// <summary>
/// The machine's CPU load from /proc/stat (busy share of all cores since the previous sample), so the
/// runner can show whether parallel worlds are starving each other. A load near 100% means the page
/// load times measure the machine, not the link: lower --parallel.
/// </summary>
public sealed class CpuMonitor
{
    private readonly Lock gate = new();
    private (ulong Busy, ulong Total)? previous;
    private double sum;
    private int samples;

    public CpuMonitor() => previous = Read();

    /// <summary>Busy fraction (0..1) since the previous call, or null where /proc/stat is not available.</summary>
    public double? Sample()
    {
        lock (gate)
        {
            var now = Read();
            if (now is null || previous is null) return null;
            var (busy0, total0) = previous.Value;
            var (busy1, total1) = now.Value;
            previous = now;
            if (total1 <= total0) return null;
            double load = (double)(busy1 - busy0) / (total1 - total0);
            sum += load;
            samples++;
            return load;
        }
    }

    /// <summary>Mean of the samples taken so far.</summary>
    public double? Mean
    {
        get { lock (gate) return samples == 0 ? null : sum / samples; }
    }

    private static (ulong Busy, ulong Total)? Read()
    {
        try
        {
            // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
            var line = File.ReadLines("/proc/stat").FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
            if (line is null) return null;
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => ulong.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            if (fields.Length < 5) return null;
            ulong total = 0;
            for (int i = 0; i < Math.Min(fields.Length, 8); i++) total += fields[i];
            ulong idle = fields[3] + fields[4];
            return (total - idle, total);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return null;
        }
    }
}
