using System.Runtime.InteropServices;

namespace SpdyLab.Lab.Tests;

/// <summary>Whether the tests run as root (worlds need network namespaces and TUN devices).</summary>
internal static partial class RootCheck
{
    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    public static bool IsRoot => OperatingSystem.IsLinux() && GetEuid() == 0;

    public static void RequireRoot()
    {
        if (!IsRoot) Assert.Ignore("needs root (network namespaces/TUN): run as root, as CI does");
    }
}
