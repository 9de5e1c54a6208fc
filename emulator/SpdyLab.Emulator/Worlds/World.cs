using System.Diagnostics;
using System.Net;
using SpdyLab.Emulator.Capture;
using SpdyLab.Emulator.Interop;
using SpdyLab.Emulator.Link;

namespace SpdyLab.Emulator.Worlds;

/// <summary>
/// One emulated network: a client namespace whose only route is a TUN device, a host side (the root
/// namespace or a server namespace) with its own TUN device, and two <see cref="LinkFerry"/> threads
/// carrying packets between them through the link's stages.
/// <code>
///   client netns                                    host side (root netns or server netns)
///   10.200.N.2 [slNc] --up: loss-queue-rate-delay--> [slNh|slNs] 10.200.N.1 (+ extra addresses)
///                     &lt;-down: loss-queue-rate-delay--
/// </code>
/// Dispose tears it all down; a world whose process died is reaped by the next <see cref="Create"/>.
/// </summary>
public sealed class World : IDisposable
{
    private readonly List<IDisposable> _resources = [];
    private readonly FileStream _slotLock;
    private readonly List<string> _namespaces = [];
    private readonly List<PcapCapture> _captures = [];
    private TunDevice? _clientTun;
    private TunDevice? _hostTun;
    private LinkFerry? _upFerry;
    private LinkFerry? _downFerry;
    private int _nextServerAddress = 10;
    private bool _disposed;

    private World(WorldOptions options, int slot, FileStream slotLock)
    {
        Options = options;
        Slot = slot;
        _slotLock = slotLock;
        Name = $"{WorldSlots.NamespacePrefix}{Environment.ProcessId}-{slot}";
        ClientNamespace = $"{Name}-cli";
        ServerNamespace = options.HostSide == HostSide.ServerNamespace ? $"{Name}-srv" : null;
        ClientAddress = IPAddress.Parse($"10.200.{slot}.2");
        HostAddress = IPAddress.Parse($"10.200.{slot}.1");
    }

    public WorldOptions Options { get; }

    /// <summary>The world number N: addresses 10.200.N.0/24, interfaces slN*.</summary>
    public int Slot { get; }

    /// <summary>spdylab-PID-N: the prefix of this world's namespaces.</summary>
    public string Name { get; }

    public string ClientNamespace { get; }

    /// <summary>The server namespace, or null when the host side is the root namespace.</summary>
    public string? ServerNamespace { get; }

    public IPAddress ClientAddress { get; }

    /// <summary>The host side's address, as the client sees it ($SPDYLAB_HOST).</summary>
    public IPAddress HostAddress { get; }

    public string ClientInterface => $"sl{Slot}c";

    public string HostInterface => Options.HostSide == HostSide.ServerNamespace ? $"sl{Slot}s" : $"sl{Slot}h";

    /// <summary>What the client receives (host side to client).</summary>
    public LinkDirection Down => _downFerry!.Link;

    /// <summary>What the client sends.</summary>
    public LinkDirection Up => _upFerry!.Link;

    /// <summary>A ferry's failure (e.g. a TUN read error), or null while both run fine.</summary>
    public Exception? FerryFailure => _upFerry?.Failure ?? _downFerry?.Failure;

    /// <summary>Packet captures (client.pcap, host.pcap) when <see cref="WorldOptions.PcapDirectory"/> is set.</summary>
    public IReadOnlyList<PcapCapture> Captures => _captures;

    /// <summary>The capture of the packets as the client namespace sends and receives them (client.pcap), or null.</summary>
    public PcapCapture? ClientCapture => _captures.Count == 2 ? _captures[0] : null;

    /// <summary>The capture of the packets as the host side sends and receives them (host.pcap), or null.</summary>
    public PcapCapture? HostCapture => _captures.Count == 2 ? _captures[1] : null;

    /// <summary>Finishes both captures (writes what they queued, closes the files) so they can be read while
    /// the world goes on; packets after this are not captured. Bounded; a no-op without captures.</summary>
    public void CompleteCaptures()
    {
        foreach (var capture in _captures) capture.Complete();
    }

    /// <summary>The up and down ferries (their held-packet figures), once built.</summary>
    public IReadOnlyList<LinkFerry> Ferries => _upFerry is null || _downFerry is null ? [] : [_upFerry, _downFerry];

    private void Warn(string line)
    {
        var warn = Options.Warn ?? (l => Console.Error.WriteLine($"spdylab: {l}"));
        warn($"world {Name}: {line}");
    }

    /// <summary>Builds and starts a world. Reaps stale worlds of dead processes first.</summary>
    public static World Create(WorldOptions options)
    {
        if (Privileges.WhyWorldsCannotBeBuilt() is { } problem) throw new InvalidOperationException(problem);
        WorldSlots.ReapStale();
        var (slot, slotLock) = WorldSlots.Acquire();
        var world = new World(options, slot, slotLock);
        try
        {
            world.Build();
            return world;
        }
        catch
        {
            world.Dispose();
            throw;
        }
    }

    /// <summary>Deletes the namespaces of dead processes' worlds; returns their names.</summary>
    public static IReadOnlyList<string> ReapStaleWorlds() => WorldSlots.ReapStale();

    private void Build()
    {
        string client = ClientInterface, host = HostInterface;
        string clientIp = ClientAddress.ToString(), hostIp = HostAddress.ToString();
        int mtu = Options.Mtu, txq = Options.TxQueueLength;

        IpCommand.Run("netns", "add", ClientNamespace);
        _namespaces.Add(ClientNamespace);
        _clientTun = NetworkNamespace.Run(ClientNamespace, () => TunDevice.Create(client));
        // addrgenmode none: no IPv6 link-local address, so no router solicitations cross the link.
        IpCommand.Batch(ClientNamespace,
        [
            "link set dev lo up",
            $"link set dev {client} mtu {mtu} txqueuelen {txq} addrgenmode none",
            $"link set dev {client} up",
            $"addr add {clientIp}/32 peer {hostIp}/32 dev {client}",
            $"route add default dev {client}",
        ]);

        if (ServerNamespace is { } server)
        {
            IpCommand.Run("netns", "add", server);
            _namespaces.Add(server);
            _hostTun = NetworkNamespace.Run(server, () => TunDevice.Create(host));
            IpCommand.Batch(server,
            [
                "link set dev lo up",
                $"link set dev {host} mtu {mtu} txqueuelen {txq} addrgenmode none",
                $"link set dev {host} up",
                $"addr add {hostIp}/32 peer {clientIp}/32 dev {host}",
                $"route add default dev {host}",
            ]);
        }
        else
        {
            // Created by the calling thread, in the process's own namespace: the host's.
            _hostTun = TunDevice.Create(host);
            IpCommand.Batch(null,
            [
                $"link set dev {host} mtu {mtu} txqueuelen {txq} addrgenmode none",
                $"link set dev {host} up",
                $"addr add {hostIp}/32 peer {clientIp}/32 dev {host}",
            ]);
        }

        PcapCapture? clientPcap = null, hostPcap = null;
        if (Options.PcapDirectory is { } directory)
        {
            Directory.CreateDirectory(directory);
            long mono = MonotonicClock.NowMicroseconds, unix = MonotonicClock.UnixMicroseconds;
            clientPcap = PcapCapture.Create(Path.Combine(directory, "client.pcap"), mono, unix);
            hostPcap = PcapCapture.Create(Path.Combine(directory, "host.pcap"), mono, unix);
            clientPcap.Failed = Warn;
            hostPcap.Failed = Warn;
            _resources.Add(clientPcap);
            _resources.Add(hostPcap);
            _captures.Add(clientPcap);
            _captures.Add(hostPcap);
        }

        var link = Options.Link;
        _upFerry = new LinkFerry(LinkDirection.Build("up", link.Up, link.Seed), _clientTun.Fd, _hostTun.Fd, mtu, clientPcap, hostPcap, Warn);
        _downFerry = new LinkFerry(LinkDirection.Build("down", link.Down, link.Seed), _hostTun.Fd, _clientTun.Fd, mtu, hostPcap, clientPcap, Warn);
        _upFerry.Start();
        _downFerry.Start();
    }

    /// <summary>
    /// Adds one more address to the host side (10.200.N.10, .11, ...), e.g. one per origin host of a page;
    /// the client reaches every such address through the link.
    /// </summary>
    public IPAddress AddHostAddress()
    {
        if (_nextServerAddress > 250) throw new InvalidOperationException("a world has at most 241 extra host addresses");
        var address = IPAddress.Parse($"10.200.{Slot}.{_nextServerAddress++}");
        if (ServerNamespace is { } server) IpCommand.Batch(server, [$"addr add {address}/32 dev lo"]);
        else IpCommand.Batch(null, [$"addr add {address}/32 dev {HostInterface}"]);
        return address;
    }

    /// <summary>Runs <paramref name="action"/> on a thread inside the client namespace (sockets it creates stay there).</summary>
    public T RunInClientNamespace<T>(Func<T> action) => NetworkNamespace.Run(ClientNamespace, action);

    /// <summary>Runs <paramref name="action"/> on a thread inside the server namespace (e.g. to create a
    /// listening socket to hand to Kestrel through ListenHandle).</summary>
    public T RunInServerNamespace<T>(Func<T> action) =>
        NetworkNamespace.Run(ServerNamespace ?? throw new InvalidOperationException("this world's host side is the root namespace; create it with HostSide.ServerNamespace"), action);

    /// <summary>A start info that runs <paramref name="command"/> inside the client namespace, with
    /// SPDYLAB_HOST and SPDYLAB_CLIENT set.</summary>
    public ProcessStartInfo ClientProcess(string command, IEnumerable<string> arguments) => InNamespace(ClientNamespace, command, arguments);

    public ProcessStartInfo ServerProcess(string command, IEnumerable<string> arguments) =>
        InNamespace(ServerNamespace ?? throw new InvalidOperationException("this world has no server namespace"), command, arguments);

    private ProcessStartInfo InNamespace(string netns, string command, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(IpCommand.Executable) { UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", netns, command }.Concat(arguments)) start.ArgumentList.Add(a);
        start.Environment["SPDYLAB_HOST"] = HostAddress.ToString();
        start.Environment["SPDYLAB_CLIENT"] = ClientAddress.ToString();
        start.Environment["SPDYLAB_WORLD"] = Name;
        return start;
    }

    /// <summary>
    /// Waits until nothing is in flight on the link and nothing new arrived for <paramref name="idle"/>,
    /// or <paramref name="limit"/> passed. Call it after the client's command exits so its last packets
    /// (FIN, final results) still reach the far end before the world is torn down.
    /// </summary>
    public bool WaitForQuiet(TimeSpan idle, TimeSpan limit)
    {
        var deadline = Stopwatch.StartNew();
        long lastSeen = -1;
        var quietFor = Stopwatch.StartNew();
        while (deadline.Elapsed < limit)
        {
            long seen = Down.Counters.PacketsIn + Up.Counters.PacketsIn;
            bool empty = InFlight(Down.Counters) == 0 && InFlight(Up.Counters) == 0;
            if (seen != lastSeen || !empty)
            {
                lastSeen = seen;
                quietFor.Restart();
            }
            else if (quietFor.Elapsed >= idle)
            {
                return true;
            }
            Thread.Sleep(10);
        }
        return false;
    }

    private static long InFlight(LinkCounters c) =>
        Volatile.Read(ref c.PacketsIn) - Volatile.Read(ref c.PacketsOut) - c.LossDrops - c.QueueDrops - c.WriteDrops;

    /// <summary>Both directions' counters, one line each, and the TUN devices' own drop counts
    /// (packets the kernel dropped before a ferry read them: drops the emulated link did not make).</summary>
    public string FormatStatistics()
    {
        string tun;
        try
        {
            tun = $"TUN drops (not the link's): client {ClientInterface} {TunDrops(ClientNamespace, ClientInterface)}, " +
                  $"host {HostInterface} {TunDrops(ServerNamespace, HostInterface)}";
        }
        catch (Exception e) when (e is InvalidOperationException or System.Text.Json.JsonException or KeyNotFoundException)
        {
            tun = $"TUN drops: unavailable ({e.Message})";
        }
        return $"down ({Options.Link.Down}): {Down.Counters}, largest packet {Down.Counters.MaxPacketBytes} B\n" +
               $"up ({Options.Link.Up}): {Up.Counters}, largest packet {Up.Counters.MaxPacketBytes} B\n{tun}";
    }

    /// <summary>The kernel's tx/rx drop counters of a TUN device: "tx N rx M".</summary>
    public static string TunDrops(string? netns, string device)
    {
        var args = netns is null ? new[] { "-s", "-j", "link", "show", "dev", device } : ["-n", netns, "-s", "-j", "link", "show", "dev", device];
        using var json = System.Text.Json.JsonDocument.Parse(IpCommand.Run(args));
        var stats = json.RootElement[0].GetProperty("stats64");
        return $"tx {stats.GetProperty("tx").GetProperty("dropped").GetInt64()} rx {stats.GetProperty("rx").GetProperty("dropped").GetInt64()}";
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _upFerry?.Stop();
        _downFerry?.Stop();
        foreach (var ns in _namespaces) WorldSlots.KillProcessesIn(ns);
        _clientTun?.Dispose();
        _hostTun?.Dispose();
        foreach (var resource in _resources) resource.Dispose();
        foreach (var ns in _namespaces)
        {
            try { IpCommand.Run("netns", "del", ns); }
            catch (InvalidOperationException) { /* reaped by the next start */ }
        }
        _slotLock.Dispose();
    }
}
