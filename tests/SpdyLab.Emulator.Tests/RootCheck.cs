using SpdyLab.Emulator.Interop;

namespace SpdyLab.Emulator.Tests;

/// <summary>Root tests (namespaces, TUN) skip with a message elsewhere.</summary>
internal static class RootCheck
{
    public static bool IsRoot => Privileges.IsRoot && Privileges.WhyWorldsCannotBeBuilt() is null;

    public static void RequireRoot()
    {
        if (!IsRoot) Assert.Ignore("needs root (network namespaces/TUN): run as root, as CI does");
    }
}
