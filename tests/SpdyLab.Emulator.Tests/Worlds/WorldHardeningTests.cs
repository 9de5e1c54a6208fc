using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using SpdyLab.Emulator.Link;
using SpdyLab.Emulator.Worlds;

namespace SpdyLab.Emulator.Tests.Worlds;

/// <summary>
/// Hostile conditions through real namespaces and TUN devices (root only): malformed packets sent out of
/// the client's TUN, a TUN whose MTU was raised, captures on a full disk. The link keeps working and each
/// kind of trouble is reported once.
/// </summary>
[NonParallelizable]
public unsafe partial class WorldHardeningTests
{
    private readonly List<string> _warnings = [];

    [SetUp]
    public void RequireRoot()
    {
        RootCheck.RequireRoot();
        _warnings.Clear();
    }

    private World CreateWorld(string? pcapDirectory = null) => World.Create(new WorldOptions
    {
        Link = new LinkOptions { Rtt = "2ms" }.ToSpec(),
        HostSide = HostSide.ServerNamespace,
        PcapDirectory = pcapDirectory,
        Warn = line => { lock (_warnings) _warnings.Add(line); },
    });

    /// <summary>Pings the host from the client; returns how many replies came back.</summary>
    private static int Ping(World world, int count, int size = 56, string interval = "0.01")
    {
        var start = world.ClientProcess("ping", ["-q", "-n", "-c", count.ToString(), "-i", interval, "-W", "1", "-s", size.ToString(), world.HostAddress.ToString()]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        Assert.That(process.WaitForExit(30_000), Is.True, "ping did not finish");
        var match = Regex.Match(output, @"(\d+) received");
        Assert.That(match.Success, Is.True, $"no summary in ping output:\n{output}");
        return int.Parse(match.Groups[1].Value);
    }

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit(10_000);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {error}");
    }

    [Test]
    [CancelAfter(30_000)]
    public void MalformedPackets_SentOutOfClientTun_CrossOrAreRefusedAndLinkKeepsWorking()
    {
        using var world = CreateWorld();
        var ipv4 = new byte[] { 0x45, 0, 0, 20, 0, 1, 0, 0, 64, 17, 0, 0, 10, 200, 0, 2, 10, 200, 0, 1 };
        var ipv6 = new byte[60];
        ipv6[0] = 0x60;
        var fragment = new byte[600];
        ipv4.CopyTo(fragment, 0);
        fragment[6] = 0x20; // MF, offset 0
        byte[] badLength = [.. ipv4[..2], 0x05, 0xdc, .. ipv4[4..]]; // total length 1500 on a 20-byte packet
        var packets = new List<byte[]>
        {
            new byte[] { 0x45 },                                    // one byte
            ipv4[..12],                                             // header cut short
            badLength,
            new byte[64],                                           // not IP (version 0): the far TUN refuses it
            Enumerable.Repeat((byte)0xff, 300).ToArray(),           // not IP (version 15): refused too
            ipv6,
            fragment,
        };

        int sent = world.RunInClientNamespace(() => SendRaw(world.ClientInterface, packets));
        world.WaitForQuiet(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(3));

        Assert.That(sent, Is.EqualTo(packets.Count));
        Assert.That(world.Up.Counters.PacketsIn, Is.GreaterThanOrEqualTo(packets.Count));
        Assert.That(world.Up.Counters.WriteDrops, Is.EqualTo(2), "the two non-IP packets are refused by the far TUN (EINVAL)");
        Assert.That(Ping(world, 5), Is.EqualTo(5), "the link still carries traffic");
        Assert.That(world.FerryFailure, Is.Null);
        Assert.That(_warnings, Has.Count.EqualTo(1));
        Assert.That(_warnings[0], Does.Contain("up: write(TUN").And.Contain("Invalid argument"));
    }

    [Test]
    [CancelAfter(30_000)]
    public void ClientTunMtuRaised_LargePacketsDroppedAsOversizeReportedOnceAndLinkKeepsWorking()
    {
        using var world = CreateWorld();
        Run("ip", "-n", world.ClientNamespace, "link", "set", "dev", world.ClientInterface, "mtu", "9000");
        Assert.That(Ping(world, 2, size: 4000, interval: "0.2"), Is.EqualTo(0));
        Run("ip", "-n", world.ClientNamespace, "link", "set", "dev", world.ClientInterface, "mtu", "1500");

        Assert.That(Ping(world, 3), Is.EqualTo(3));
        Assert.That(world.Up.Counters.OversizeDrops, Is.EqualTo(2));
        Assert.That(world.Up.Counters.MaxPacketBytes, Is.LessThanOrEqualTo(1500), "no truncated packet entered the link");
        Assert.That(_warnings, Has.Count.EqualTo(1));
        Assert.That(_warnings[0], Does.Contain("larger than 1500 bytes"));
    }

    [Test]
    [CancelAfter(30_000)]
    public void Captures_OnFullTmpfs_StopWithOneReportEachAndLinkCarriesEveryPing()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"spdylab-full-disk-{Environment.ProcessId}");
        Directory.CreateDirectory(directory);
        try
        {
            try { Run("mount", "-t", "tmpfs", "-o", "size=64k", "spdylab-test", directory); }
            catch (InvalidOperationException e) { Assert.Ignore($"cannot mount a tmpfs here ({e.Message.Trim()}): the full-disk case needs it"); }
            try
            {
                World world;
                using (world = CreateWorld(directory))
                {
                    // 2 x 200 packets of 1428 bytes per capture: far beyond 64 kB.
                    Assert.That(Ping(world, 200, size: 1400, interval: "0.002"), Is.EqualTo(200));
                    Assert.That(world.FerryFailure, Is.Null);
                }
                Assert.That(world.Captures.Select(c => c.Failure), Has.All.InstanceOf<IOException>());
                Assert.That(_warnings, Has.Count.EqualTo(2), string.Join("\n", _warnings));
                Assert.That(_warnings.Count(w => w.Contains("client.pcap stopped")), Is.EqualTo(1));
                Assert.That(_warnings.Count(w => w.Contains("host.pcap stopped")), Is.EqualTo(1));
                Assert.That(_warnings, Has.All.Contain("No space left on device").And.All.Contain("the link goes on"));
            }
            finally
            {
                Run("umount", directory);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public void UdpFloodFarBeyondQueue_DropsCountedMemoryBoundedAndLinkRecovers()
    {
        // 1 Mbit/s up with a 20-packet queue; the client blasts 20 000 datagrams of 1200 bytes (~24 MB).
        using var world = World.Create(new WorldOptions
        {
            Link = new LinkOptions { Up = "1mbit", Rtt = "2ms", Queue = "20pkt" }.ToSpec(),
            HostSide = HostSide.ServerNamespace,
            Warn = line => { lock (_warnings) _warnings.Add(line); },
        });
        int sent = world.RunInClientNamespace(() =>
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
            socket.Blocking = false;
            var target = new System.Net.IPEndPoint(world.HostAddress, 9);
            var payload = new byte[1200 - 28];
            int ok = 0;
            for (int i = 0; i < 20_000; i++)
            {
                try { socket.SendTo(payload, target); ok++; }
                catch (System.Net.Sockets.SocketException) { /* ENOBUFS/EAGAIN: the kernel's own queue is full */ }
            }
            return ok;
        });
        var up = world.Up.Counters;
        var ferry = world.Ferries[0];
        Assert.That(ferry.Link, Is.SameAs(world.Up));
        // The queue drains in 20 x 9.6 ms; then the link answers pings again. On a loaded machine the ferry may
        // still be reading the flood out of the TUN device: wait until every packet that entered is accounted for
        // (sent or dropped) and no more arrive, so the pings measure recovery, not the tail of the flood.
        var settleBy = DateTime.UtcNow.AddSeconds(10);
        long lastIn = -1;
        while (DateTime.UtcNow < settleBy)
        {
            long packetsIn = Interlocked.Read(ref up.PacketsIn);
            long accounted = Interlocked.Read(ref up.PacketsOut) + Interlocked.Read(ref up.LossDrops)
                             + Interlocked.Read(ref up.QueueDrops) + Interlocked.Read(ref up.WriteDrops);
            if (packetsIn == lastIn && packetsIn == accounted) break;
            lastIn = packetsIn;
            Thread.Sleep(200);
        }
        Assert.That(Ping(world, 3, interval: "0.2"), Is.EqualTo(3), "the link recovers after the flood");

        TestContext.Out.WriteLine($"sent {sent}, up: {up}, peak held {ferry.PeakPacketsHeld}");
        Assert.That(sent, Is.GreaterThan(10_000));
        Assert.That(up.QueueDrops, Is.GreaterThan(sent / 2), "the flood is dropped at the queue, and counted");
        Assert.That(ferry.PeakPacketsHeld, Is.LessThanOrEqualTo(20 + 64 + 1), "memory: the queue plus one read batch");
        Assert.That(world.FerryFailure, Is.Null);
        Assert.That(_warnings, Is.Empty, "queue drops are the link's normal behaviour, not trouble");
    }

    // AF_PACKET lets the test send arbitrary bytes out of the client's TUN device: the kernel hands them
    // to the ferry exactly as given (a TUN device has no link-layer header).
    private static int SendRaw(string device, IEnumerable<byte[]> packets)
    {
        const int AF_PACKET = 17, SOCK_DGRAM = 2;
        int fd = Socket(AF_PACKET, SOCK_DGRAM, 0);
        if (fd < 0) throw new InvalidOperationException($"socket(AF_PACKET) failed: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            uint index = IfNameToIndex(device);
            if (index == 0) throw new InvalidOperationException($"no interface {device}");
            // struct sockaddr_ll: family u16, protocol be16, ifindex i32, hatype u16, pkttype u8, halen u8, addr[8]
            byte* address = stackalloc byte[20];
            new Span<byte>(address, 20).Clear();
            *(ushort*)address = AF_PACKET;
            *(ushort*)(address + 2) = 0x0008; // htons(ETH_P_IP)
            *(int*)(address + 4) = (int)index;
            int sent = 0;
            foreach (var packet in packets)
            {
                fixed (byte* data = packet)
                {
                    if (SendTo(fd, data, packet.Length, 0, address, 20) == packet.Length) sent++;
                }
            }
            return sent;
        }
        finally
        {
            Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    private static partial nint SendTo(int fd, byte* buffer, nint length, int flags, byte* address, int addressLength);

    [LibraryImport("libc", EntryPoint = "if_nametoindex", StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint IfNameToIndex(string name);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
