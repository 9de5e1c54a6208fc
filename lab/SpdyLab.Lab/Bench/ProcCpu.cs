using System.Runtime.InteropServices;

namespace SpdyLab.Lab.Bench;

/// <summary>CPU time of processes other than this one (Linux): /proc for live ones, getrusage for reaped children.</summary>
internal static class ProcCpu
{
    // USER_HZ: /proc/PID/stat counts in clock ticks, 100 per second on every Linux the lab targets.
    private const double TicksPerSecond = 100;

    /// <summary>utime + stime of a live process (fields 14 and 15 of /proc/PID/stat), 0 when it is gone.</summary>
    public static double ProcessSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces; fields after its closing parenthesis start at field 3.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    /// <summary>User + system CPU seconds of all terminated, waited-for children (getrusage(RUSAGE_CHILDREN)).</summary>
    public static double ChildrenSeconds()
    {
        if (!OperatingSystem.IsLinux() || GetRusage(RusageChildren, out var usage) != 0)
        {
            return 0;
        }
        return usage.UserSeconds + usage.UserMicros / 1e6 + usage.SystemSeconds + usage.SystemMicros / 1e6;
    }

    private const int RusageChildren = -1;

    // struct rusage on 64-bit Linux: two struct timeval (16 bytes each), then 14 longs.
    [StructLayout(LayoutKind.Sequential, Size = 144)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicros;
        public long SystemSeconds;
        public long SystemMicros;
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRusage(int who, out Rusage usage);
}
