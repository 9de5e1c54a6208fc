namespace SpdyLab.Emulator.Interop;

/// <summary>Sends POSIX signals (Process.Kill only knows SIGKILL).</summary>
public static class Signals
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when the process is gone.</summary>
    public static bool Send(int pid, int signal) => Libc.Kill(pid, signal) == 0;
}
