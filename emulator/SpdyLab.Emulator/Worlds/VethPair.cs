using System.Diagnostics;
using System.Net;
using SpdyLab.Emulator.Interop;

namespace SpdyLab.Emulator.Worlds;

/// <summary>
/// The reference a world is measured against: the same two namespaces and addresses as a
/// <see cref="World"/> (client 10.200.N.2, host 10.200.N.1), joined by a kernel veth pair instead of
/// TUN devices and ferries. No emulation at all, so what it carries is the machine's own ceiling.
/// With <c>mtuSizedPackets</c> the veth ends get gso_max_segs 1: TCP then sends MTU-sized packets as
/// it must through a world (no 64 KB GSO lumps), which is the fair comparison for the emulator.
/// Namespaces are named like a world's, so a crash leaves nothing the next world start does not reap.
/// </summary>
public sealed class VethPair : IDisposable
{
    private readonly FileStream _slotLock;
    private readonly List<string> _namespaces = [];
    private bool _disposed;

    private VethPair(int slot, FileStream slotLock)
    {
        Slot = slot;
        _slotLock = slotLock;
        string name = $"{WorldSlots.NamespacePrefix}{Environment.ProcessId}-{slot}";
        ClientNamespace = $"{name}-cli";
        ServerNamespace = $"{name}-srv";
        ClientAddress = IPAddress.Parse($"10.200.{slot}.2");
        HostAddress = IPAddress.Parse($"10.200.{slot}.1");
    }

    public int Slot { get; }

    public string ClientNamespace { get; }

    public string ServerNamespace { get; }

    public IPAddress ClientAddress { get; }

    public IPAddress HostAddress { get; }

    public static VethPair Create(bool mtuSizedPackets, int mtu = 1500)
    {
        if (Privileges.WhyWorldsCannotBeBuilt() is { } problem) throw new InvalidOperationException(problem);
        WorldSlots.ReapStale();
        var (slot, slotLock) = WorldSlots.Acquire();
        var pair = new VethPair(slot, slotLock);
        try
        {
            pair.Build(mtuSizedPackets, mtu);
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    private void Build(bool mtuSizedPackets, int mtu)
    {
        string client = $"sl{Slot}c", host = $"sl{Slot}s";
        IpCommand.Run("netns", "add", ClientNamespace);
        _namespaces.Add(ClientNamespace);
        IpCommand.Run("netns", "add", ServerNamespace);
        _namespaces.Add(ServerNamespace);
        string gso = mtuSizedPackets ? " gso_max_segs 1" : "";
        IpCommand.Batch(ClientNamespace,
        [
            $"link add {client} mtu {mtu} type veth peer name {host} netns {ServerNamespace}",
            "link set dev lo up",
            $"link set dev {client}{gso} addrgenmode none",
            $"link set dev {client} up",
            $"addr add {ClientAddress}/32 peer {HostAddress}/32 dev {client}",
        ]);
        IpCommand.Batch(ServerNamespace,
        [
            "link set dev lo up",
            $"link set dev {host}{gso} addrgenmode none",
            $"link set dev {host} up",
            $"addr add {HostAddress}/32 peer {ClientAddress}/32 dev {host}",
        ]);
    }

    public ProcessStartInfo ClientProcess(string command, IEnumerable<string> arguments) => InNamespace(ClientNamespace, command, arguments);

    public ProcessStartInfo ServerProcess(string command, IEnumerable<string> arguments) => InNamespace(ServerNamespace, command, arguments);

    private ProcessStartInfo InNamespace(string netns, string command, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(IpCommand.Executable) { UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", netns, command }.Concat(arguments)) start.ArgumentList.Add(a);
        start.Environment["SPDYLAB_HOST"] = HostAddress.ToString();
        start.Environment["SPDYLAB_CLIENT"] = ClientAddress.ToString();
        return start;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var ns in _namespaces) WorldSlots.KillProcessesIn(ns);
        foreach (var ns in _namespaces)
        {
            try { IpCommand.Run("netns", "del", ns); }
            catch (InvalidOperationException) { /* reaped by the next start */ }
        }
        _slotLock.Dispose();
    }
}
