using System.Runtime.InteropServices;
using System.Text;

namespace SpdyLab.Emulator.Interop;

/// <summary>
/// A TUN device (layer 3: bare IP packets, no packet-information header). It is created in the network
/// namespace of the calling thread and disappears when the descriptor is closed. Without IFF_VNET_HDR
/// the kernel never hands it GSO/TSO super-packets: every packet read is at most the device's MTU.
/// </summary>
public sealed unsafe class TunDevice : IDisposable
{
    private const ulong TUNSETIFF = 0x400454ca; // _IOW('T', 202, int)
    private const short IFF_TUN = 0x0001;
    private const short IFF_NO_PI = 0x1000;
    public const string DevicePath = "/dev/net/tun";
    private int _fd;

    private TunDevice(int fd, string name)
    {
        _fd = fd;
        Name = name;
    }

    public string Name { get; }

    public int Fd => _fd;

    /// <summary>Creates TUN device <paramref name="name"/> (at most 15 bytes) in the current thread's namespace,
    /// with a non-blocking descriptor.</summary>
    public static TunDevice Create(string name)
    {
        if (Encoding.ASCII.GetByteCount(name) > 15) throw new ArgumentException($"interface name '{name}' is longer than 15 bytes", nameof(name));
        if (!File.Exists(DevicePath))
            throw new InvalidOperationException($"{DevicePath} is missing: load the tun module (modprobe tun) or, in a container, pass the device (docker run --device /dev/net/tun ...)");
        int fd = Sys.Check(Libc.Open(DevicePath, Libc.O_RDWR | Libc.O_CLOEXEC | Libc.O_NONBLOCK), $"open({DevicePath})");
        try
        {
            // struct ifreq: char ifr_name[16]; union { short ifr_flags; ... } (40 bytes on 64-bit Linux).
            byte* ifreq = stackalloc byte[40];
            new Span<byte>(ifreq, 40).Clear();
            Encoding.ASCII.GetBytes(name, new Span<byte>(ifreq, 15));
            *(short*)(ifreq + 16) = IFF_TUN | IFF_NO_PI;
            Sys.Check(Libc.Ioctl(fd, TUNSETIFF, ifreq), $"ioctl(TUNSETIFF, {name}, IFF_TUN|IFF_NO_PI)");
            return new TunDevice(fd, name);
        }
        catch
        {
            Libc.Close(fd);
            throw;
        }
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Libc.Close(fd);
    }
}
