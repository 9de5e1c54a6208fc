using System.Globalization;
using SpdyLab.Lab.Runner;

namespace SpdyLab.Lab.Bench;

/// <summary>CPU time of processes and threads other than the caller's whole process (Linux /proc), for the benchmarks.</summary>
internal static class ProcCpu
{
    // USER_HZ: /proc/PID/stat counts in clock ticks, 100 per second on every Linux the lab targets.
    private const double TicksPerSecond = 100;

    /// <summary>utime + stime of a live process (fields 14 and 15 of /proc/PID/stat), 0 when it is gone.</summary>
    public static double ProcessSeconds(int pid) =>
        ReadStat($"/proc/{pid}/stat") is { } times ? times.UserSeconds + times.SystemSeconds : 0;

    /// <summary>
    /// The command name and CPU seconds of a /proc/PID/stat or /proc/PID/task/TID/stat file; null when the
    /// process or thread ended while we looked (or the file cannot be read).
    /// </summary>
    public static StatTimes? ReadStat(string path)
    {
        try
        {
            var stat = File.ReadAllText(path);
            // The command name (field 2) may hold spaces; fields after its closing parenthesis start at field 3.
            int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            return new StatTimes(
                stat[(open + 1)..close],
                long.Parse(fields[11], CultureInfo.InvariantCulture) / TicksPerSecond,
                long.Parse(fields[12], CultureInfo.InvariantCulture) / TicksPerSecond);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException
                                      or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}

/// <summary>One /proc stat file's command name and user and system CPU seconds.</summary>
internal readonly record struct StatTimes(string Name, double UserSeconds, double SystemSeconds);
