using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using SpdyLab.Emulator.Interop;
using SpdyLab.Emulator.Link;
using SpdyLab.Emulator.Worlds;

namespace SpdyLab.Emulator.Tests.Worlds;

/// <summary>Integration tests through real namespaces and TUN devices (root only; CI runs as root).</summary>
[NonParallelizable]
public class WorldTests
{
    [SetUp]
    public void RequireRoot() => RootCheck.RequireRoot();

    private static World CreateWorld(LinkSpec link, HostSide side = HostSide.ServerNamespace) =>
        World.Create(new WorldOptions { Link = link, HostSide = side });

    private static LinkSpec Symmetric(string? rate = null, string? rtt = null, string? loss = null) =>
        new LinkOptions { Down = rate, Up = rate, Rtt = rtt, Loss = loss }.ToSpec();

    /// <summary>Runs ping inside the client namespace and returns (min, avg) in ms.</summary>
    private static (double Min, double Avg) Ping(World world, int count, string interval = "0.1")
    {
        var start = world.ClientProcess("ping", ["-q", "-n", "-c", count.ToString(), "-i", interval, "-W", "2", world.HostAddress.ToString()]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        Assert.That(process.WaitForExit(30_000), Is.True, "ping did not finish");
        var match = Regex.Match(output, @"= ([0-9.]+)/([0-9.]+)/");
        Assert.That(match.Success, Is.True, $"no RTT summary in ping output:\n{output}");
        return (double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [Test]
    [CancelAfter(30_000)]
    public void Ping_ThroughWorldWith60msRtt_MeasuresRttJustAbove60ms()
    {
        using var world = CreateWorld(Symmetric(rtt: "60ms"), HostSide.RootNamespace);
        var (min, avg) = Ping(world, 10, "0.05");
        Assert.That(min, Is.InRange(60.0, 61.5));
        Assert.That(avg, Is.InRange(60.0, 63.0));
        Assert.That(world.Up.Counters.PacketsOut, Is.GreaterThanOrEqualTo(10));
    }

    [Test]
    [CancelAfter(30_000)]
    public void TcpTransfer_At2Mbit_TakesSerializationTimeOfItsBytes()
    {
        using var world = CreateWorld(new LinkOptions { Down = "2mbit", Up = "2mbit", Rtt = "20ms" }.ToSpec());
        const int size = 250_000;
        var listener = world.RunInServerNamespace(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(world.HostAddress, 0));
            socket.Listen();
            return socket;
        });
        using var _ = listener;
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var serve = Task.Run(() =>
        {
            using var connection = listener.Accept();
            connection.Send(new byte[size]);
            connection.Shutdown(SocketShutdown.Send);
            connection.Receive(new byte[1]); // wait for the client to close
        });
        using var client = world.RunInClientNamespace(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        var stopwatch = Stopwatch.StartNew();
        client.Connect(world.HostAddress, port);
        var buffer = new byte[65536];
        long received = 0;
        int n;
        while ((n = client.Receive(buffer)) > 0) received += n;
        double seconds = stopwatch.Elapsed.TotalSeconds;
        client.Close();
        Assert.That(serve.Wait(5000), Is.True);

        Assert.That(received, Is.EqualTo(size));
        // 250 kB of payload in 1448-byte segments of 1500 IP bytes at 2 Mbit/s: 1.036 s, plus handshake and slow start.
        Assert.That(seconds, Is.InRange(1.03, 1.5));
        Assert.That(world.Down.Counters.MaxPacketBytes, Is.LessThanOrEqualTo(1500), "no GSO super-packets cross the link");
        Assert.That(world.Down.Counters.BytesOut, Is.InRange(size * 1500L / 1448, size * 1500L / 1448 + 20_000));
    }

    [Test]
    [CancelAfter(30_000)]
    public void UdpDatagrams_With10PercentUplinkLoss_LossCountsMatchWhatArrived()
    {
        using var world = CreateWorld(new LinkOptions { LossUp = "10%", Seed = "5" }.ToSpec());
        const int count = 2000;
        using var receiver = world.RunInServerNamespace(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(world.HostAddress, 0));
            socket.ReceiveTimeout = 500;
            return socket;
        });
        using var sender = world.RunInClientNamespace(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        var target = receiver.LocalEndPoint!;
        var payload = new byte[100];
        var up = world.Up.Counters;
        int arrived = 0;
        for (int sent = 0; sent < count; sent += Batch)
        {
            for (int i = 0; i < Batch; i++) sender.SendTo(payload, target);
            // Batches of 50, each drained once the link has passed it on: the receiving socket's buffer
            // holds a few hundred small datagrams, and a drop there is not the link's (it would break the
            // count below). The ferry may read a burst later than the sender wrote it (it is not a
            // real-time thread), so wait for it rather than assume lock-step.
            Assert.That(SpinWait.SpinUntil(() => Volatile.Read(ref up.PacketsOut) + Volatile.Read(ref up.LossDrops) >= sent + Batch, 5_000),
                $"the link passed on or dropped all of the first {sent + Batch} datagrams within 5 s");
            arrived += DrainUntil(receiver, (int)(Volatile.Read(ref up.PacketsOut) - arrived));
        }

        Assert.That(up.PacketsIn, Is.EqualTo(count));
        Assert.That(up.LossDrops + arrived, Is.EqualTo(count));
        double sigma = Math.Sqrt(count * 0.1 * 0.9);
        Assert.That(up.LossDrops, Is.InRange(count * 0.1 - 4 * sigma, count * 0.1 + 4 * sigma));
    }

    [Test]
    [CancelAfter(30_000)]
    public void Create_AsRoot_FerriesRunAtNiceMinus20WithoutRealTimePolicy()
    {
        // A SCHED_FIFO ferry (the old policy) starved the garbage collector's thread while it waited for
        // a collection to end, and every world's link froze for about a second (docs/emulator.md).
        using var world = CreateWorld(Symmetric(rtt: "10ms"));
        Assert.That(SpinWait.SpinUntil(() => world.Ferries.All(f => f.HighPriority), 5_000), "both ferries set their priority");
        var ferries = world.Ferries
            .Select(f => (Comm: File.ReadAllText($"/proc/self/task/{f.ThreadId}/comm").Trim(), Stat: File.ReadAllText($"/proc/self/task/{f.ThreadId}/stat")))
            .ToList();
        Assert.That(ferries.Select(f => f.Comm), Is.All.StartsWith("ferry "));
        foreach (var (comm, stat) in ferries)
        {
            // proc(5) stat: fields after the ")" that closes comm; nice is field 19, policy field 41.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            Assert.That(int.Parse(fields[19 - 3], System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(LinkFerry.FerryNice), $"{comm}: nice");
            Assert.That(int.Parse(fields[41 - 3], System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(0), $"{comm}: policy SCHED_OTHER (0), not SCHED_FIFO (1)");
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public void AddHostAddress_ExtraServerAddress_IsReachedThroughTheLink()
    {
        using var world = CreateWorld(new LinkOptions { Rtt = "10ms" }.ToSpec());
        var extra = world.AddHostAddress();
        Assert.That(extra.ToString(), Does.StartWith($"10.200.{world.Slot}."));
        using var receiver = world.RunInServerNamespace(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(extra, 0));
            socket.ReceiveTimeout = 2000;
            return socket;
        });
        using var sender = world.RunInClientNamespace(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        sender.SendTo(new byte[] { 42 }, receiver.LocalEndPoint!);
        var buffer = new byte[16];
        Assert.That(receiver.Receive(buffer), Is.EqualTo(1));
        Assert.That(world.Up.Counters.PacketsOut, Is.EqualTo(1), "the datagram crossed the emulated uplink");
    }

    [Test]
    [CancelAfter(30_000)]
    public void PcapDirectory_Ping_WritesBothSidesCaptures()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"spdylab-world-pcap-{Environment.ProcessId}");
        try
        {
            using (var world = World.Create(new WorldOptions { Link = Symmetric(rtt: "2ms"), HostSide = HostSide.ServerNamespace, PcapDirectory = directory }))
            {
                Ping(world, 3, "0.05");
            }
            // 24-byte header, then 3 requests and 3 replies of 84 bytes with 16-byte record headers.
            foreach (var name in new[] { "client.pcap", "host.pcap" })
                Assert.That(new FileInfo(Path.Combine(directory, name)).Length, Is.EqualTo(24 + 6 * (16 + 84)), name);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, true);
        }
    }

    private const int Batch = 50;

    /// <summary>Receives <paramref name="expected"/> datagrams (each waits up to the socket's timeout).</summary>
    private static int DrainUntil(Socket socket, int expected)
    {
        var buffer = new byte[2048];
        for (int i = 0; i < expected; i++) socket.Receive(buffer);
        return expected;
    }

    [Test]
    [CancelAfter(30_000)]
    public void TwoWorlds_AtOnce_KeepTheirOwnAddressesAndDelays()
    {
        using var fast = CreateWorld(Symmetric(rtt: "10ms"));
        using var slow = CreateWorld(Symmetric(rtt: "80ms"));
        Assert.That(fast.Slot, Is.Not.EqualTo(slow.Slot));
        Assert.That(fast.HostAddress, Is.Not.EqualTo(slow.HostAddress));
        var fastPing = Task.Run(() => Ping(fast, 5));
        var slowPing = Task.Run(() => Ping(slow, 5));
        Assert.That(fastPing.Result.Min, Is.InRange(10.0, 12.0));
        Assert.That(slowPing.Result.Min, Is.InRange(80.0, 82.0));
    }

    [Test]
    [CancelAfter(30_000)]
    public void Dispose_World_LeavesNoNamespaceOrInterfaceBehind()
    {
        var world = CreateWorld(Symmetric(rtt: "1ms"));
        var names = new[] { world.ClientNamespace, world.ServerNamespace! };
        var lingering = world.ClientProcess("sleep", ["30"]);
        using var sleeper = Process.Start(lingering)!;
        world.Dispose();
        foreach (var name in names) Assert.That(File.Exists(NetworkNamespace.PathOf(name)), Is.False, name);
        Assert.That(sleeper.WaitForExit(5000), Is.True, "processes left in the namespace are killed");
        var rootLinks = RunIp("-br", "link");
        Assert.That(rootLinks, Does.Not.Contain($"sl{world.Slot}h"));
    }

    [Test]
    [CancelAfter(30_000)]
    public void ReapStaleWorlds_NamespaceOfDeadProcess_IsDeletedAndItsProcessesKilled()
    {
        int deadPid = DeadPid();
        string name = $"spdylab-{deadPid}-250-cli";
        RunIp("netns", "add", name);
        using var orphan = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", name, "sleep", "30"]))!;
        Thread.Sleep(200);
        World.ReapStaleWorlds(); // another test process may reap it first: either way it must be gone
        Assert.That(File.Exists(NetworkNamespace.PathOf(name)), Is.False);
        Assert.That(orphan.WaitForExit(5000), Is.True);
    }

    [Test]
    [CancelAfter(60_000)]
    public void SpdylabShell_KilledWithSigkill_LeavesStaleWorldThatNextStartReaps()
    {
        var dll = FindSpdylab();
        if (dll is null) Assert.Ignore("the spdylab CLI is not built (dotnet build SpdyLab.sln -c Release)");
        using var shell = Process.Start(new ProcessStartInfo("dotnet", [dll!, "shell", "--rtt", "10ms", "--", "sleep", "30"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        string prefix = $"spdylab-{shell.Id}-";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Directory.GetFiles(NetworkNamespace.Directory).Any(f => Path.GetFileName(f).StartsWith(prefix)))
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "spdylab shell did not build its world");
            Assert.That(shell.HasExited, Is.False, () => shell.StandardError.ReadToEnd());
            Thread.Sleep(100);
        }
        Thread.Sleep(300); // let it start the command
        Signals.Send(shell.Id, Signals.SIGKILL);
        shell.WaitForExit(5000);
        Assert.That(Directory.GetFiles(NetworkNamespace.Directory).Any(f => Path.GetFileName(f).StartsWith(prefix)), Is.True,
            "after SIGKILL the namespace is still there (nothing could remove it)");

        World.ReapStaleWorlds();
        Assert.That(Directory.GetFiles(NetworkNamespace.Directory).Any(f => Path.GetFileName(f).StartsWith(prefix)), Is.False);
        Assert.That(RunIp("-br", "link"), Does.Not.Match(@"\bsl[0-9]+h\b.*10\.200"), "the host-side TUN vanished with its process");
    }

    private static string? FindSpdylab()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "lab", "SpdyLab.Lab", "bin", "Release", "net10.0", "spdylab.dll");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static int DeadPid()
    {
        using var process = Process.Start(new ProcessStartInfo("true"))!;
        process.WaitForExit();
        return process.Id;
    }

    private static string RunIp(params string[] args)
    {
        var start = new ProcessStartInfo("ip", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit(10_000);
        Assert.That(process.ExitCode, Is.EqualTo(0), $"ip {string.Join(' ', args)}: {process.StandardError.ReadToEnd()}");
        return output;
    }
}
