using System.Runtime.InteropServices;

namespace SpdyLab.Emulator.Tests.Worlds;

/// <summary>
/// A connected AF_UNIX SOCK_SEQPACKET pair standing in for a TUN device in ferry tests (no root needed):
/// like a TUN descriptor it keeps packet boundaries, and a read with a short buffer truncates. The ferry
/// gets <see cref="FerryEnd"/> (non-blocking, as a TUN descriptor is); the test writes and reads the
/// other end.
/// </summary>
internal sealed unsafe partial class PacketPipe : IDisposable
{
    private const int AF_UNIX = 1;
    private const int SOCK_SEQPACKET = 5;
    private const int F_GETFL = 3;
    private const int F_SETFL = 4;
    private const int O_NONBLOCK = 0x800;
    private const short POLLIN = 1;

    public PacketPipe()
    {
        int* fds = stackalloc int[2];
        if (SocketPair(AF_UNIX, SOCK_SEQPACKET, 0, fds) != 0) throw new InvalidOperationException($"socketpair failed: errno {Marshal.GetLastPInvokeError()}");
        FerryEnd = fds[0];
        TestEnd = fds[1];
        Fcntl(FerryEnd, F_SETFL, Fcntl(FerryEnd, F_GETFL, 0) | O_NONBLOCK);
    }

    public int FerryEnd { get; }

    public int TestEnd { get; }

    public void Send(ReadOnlySpan<byte> packet)
    {
        fixed (byte* p = packet)
        {
            if (Write(TestEnd, p, packet.Length) != packet.Length) throw new InvalidOperationException($"write failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>The next packet, or null when none arrives within <paramref name="timeoutMs"/>.</summary>
    public byte[]? Receive(int timeoutMs)
    {
        var poll = stackalloc PollFd[1];
        poll[0] = new PollFd { Fd = TestEnd, Events = POLLIN };
        if (Poll(poll, 1, timeoutMs) <= 0) return null;
        var buffer = new byte[65536];
        nint n;
        fixed (byte* p = buffer) n = Read(TestEnd, p, buffer.Length);
        return n < 0 ? null : buffer[..(int)n];
    }

    public void Dispose()
    {
        Close(FerryEnd);
        Close(TestEnd);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    private static partial int SocketPair(int domain, int type, int protocol, int* fds);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollFd* fds, ulong count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
