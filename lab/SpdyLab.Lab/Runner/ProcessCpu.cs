using System.Runtime.InteropServices;

namespace SpdyLab.Lab.Runner;

/// <summary>
/// CPU time this process used (all its threads: ferries, server, client) plus that of its reaped children
/// (the `ip` commands that build and tear down worlds), from getrusage(2), in seconds.
/// </summary>
public static class ProcessCpu
{
    private const int RusageSelf = 0, RusageChildren = -1;

    /// <summary>User + system seconds of this process and its terminated children; 0 where getrusage is not available.</summary>
    public static double TotalSeconds() => Seconds(RusageSelf) + Seconds(RusageChildren);

    public static double ChildrenSeconds() => Seconds(RusageChildren);

    private static double Seconds(int who)
    {
        if (!OperatingSystem.IsLinux() || GetRusage(who, out var usage) != 0) return 0;
        return usage.UserSeconds + usage.UserMicros / 1e6 + usage.SystemSeconds + usage.SystemMicros / 1e6;
    }

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
