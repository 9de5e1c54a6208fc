namespace SpdyLab.Emulator.Interop;

/// <summary>Checks, before touching anything, that this process can build worlds, and says how to fix it if not.</summary>
public static class Privileges
{
    private const int CapSysAdmin = 21;
    private const int CapNetAdmin = 12;

    public static bool IsRoot => Libc.GetEuid() == 0;

    /// <summary>Null when worlds can be built; otherwise what is missing and how to fix it.</summary>
    public static string? WhyWorldsCannotBeBuilt()
    {
        long effective = EffectiveCapabilities();
        if (!IsRoot && ((effective >> CapNetAdmin) & 1) == 0)
            return "building a network world needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN for network namespaces and TUN devices): run it with sudo, or in a container started with --cap-add NET_ADMIN --cap-add SYS_ADMIN --device /dev/net/tun";
        if (((effective >> CapSysAdmin) & 1) == 0)
            return "building a network world needs CAP_SYS_ADMIN (to create network namespaces); give the container --cap-add SYS_ADMIN or run as root on the host";
        if (!File.Exists(TunDevice.DevicePath))
            return $"{TunDevice.DevicePath} is missing: load the tun module (modprobe tun) or, in a container, pass --device /dev/net/tun";
        if (!File.Exists(IpCommand.Executable))
            return "the 'ip' command (iproute2) is missing: apt-get install iproute2";
        return null;
    }

    private static long EffectiveCapabilities()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                    return Convert.ToInt64(line["CapEff:".Length..].Trim(), 16);
            }
        }
        catch (IOException)
        {
        }
        return IsRoot ? -1 : 0;
    }
}
