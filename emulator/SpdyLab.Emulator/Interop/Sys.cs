using System.Runtime.InteropServices;

namespace SpdyLab.Emulator.Interop;

/// <summary>A system call failed: says what was attempted and the errno.</summary>
public sealed class SystemCallException(string attempted, int errno)
    : IOException($"{attempted} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}){Hint(errno)}")
{
    public int Errno { get; } = errno;

    public string Attempted { get; } = attempted;

    private static string Hint(int errno) => errno switch
    {
        1 or 13 => "; this needs root or CAP_NET_ADMIN/CAP_SYS_ADMIN (run with sudo, or give the container --cap-add NET_ADMIN --cap-add SYS_ADMIN)",
        _ => "",
    };
}

/// <summary>The one checked path for system calls: every failure throws with what was attempted and errno.</summary>
internal static class Sys
{
    public static int Check(int result, string attempted)
    {
        if (result < 0) throw new SystemCallException(attempted, Marshal.GetLastPInvokeError());
        return result;
    }

    public static long Check(nint result, string attempted)
    {
        if (result < 0) throw new SystemCallException(attempted, Marshal.GetLastPInvokeError());
        return result;
    }

    public static int LastErrno => Marshal.GetLastPInvokeError();
}
