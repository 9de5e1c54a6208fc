using SpdyLab.Emulator.Link;

namespace SpdyLab.Emulator.Worlds;

/// <summary>Where the far end of the link lives.</summary>
public enum HostSide
{
    /// <summary>The host's own (root) network namespace: servers already running on the host are reachable
    /// through the link (what `spdylab shell` uses).</summary>
    RootNamespace,

    /// <summary>A second namespace of the world, for the lab's replay server: nothing else on the host
    /// shares its addresses or ports, so worlds never interfere.</summary>
    ServerNamespace,
}

public sealed record WorldOptions
{
    public LinkSpec Link { get; init; } = new();

    public HostSide HostSide { get; init; } = HostSide.RootNamespace;

    /// <summary>MTU of both TUN devices: the largest packet that crosses the link.</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>
    /// Transmit queue of the TUN devices (packets the kernel may hold for a ferry that is busy). Large,
    /// so bursts at high rates are not dropped before the emulated link sees them.
    /// </summary>
    public int TxQueueLength { get; init; } = 10_000;

    /// <summary>When set, client.pcap and host.pcap are written there.</summary>
    public string? PcapDirectory { get; init; }

    /// <summary>
    /// Receives one line the first time each kind of trouble happens while the world runs (a capture
    /// that failed, packets the ferries dropped for being oversized, a memory bound reached). The link
    /// keeps working in every such case. Default: "spdylab: ..." on stderr.
    /// </summary>
    public Action<string>? Warn { get; init; }
}
