using SpdyLab.Emulator.Capture;
using SpdyLab.Emulator.Worlds;
using SpdyLab.Results;

namespace SpdyLab.Lab.Runner;

/// <summary>
/// Packet evidence of a trial (issue #21): the world captures both sides (client.pcap, host.pcap), and when
/// the page has loaded the captures are closed and read back with SharpPcap/PacketDotNet
/// (<see cref="TcpEvidence"/>). Each direction is taken from its sender's capture, where every packet it sent
/// is seen (also those the link then lost) and ACKs appear as they reached it. Without --pcap the files live in
/// a temporary folder and are deleted after the trial.
/// </summary>
public sealed partial class WorldTrialExecutor
{
    /// <summary>Where the trial's captures go: its artifact folder with --pcap, a temporary folder when only the
    /// evidence needs them, none when neither is asked for.</summary>
    private static string? CaptureDirectory(TrialContext context) =>
        context.CapturePackets ? context.ArtifactDirectory
        : context.PacketEvidence ? Path.Combine(Path.GetTempPath(), $"spdylab-capture-{Environment.ProcessId}-{Guid.NewGuid():N}")
        : null;

    private static void DeleteTemporaryCaptures(TrialContext context, string? directory)
    {
        if (context.CapturePackets || directory is null) return;
        try
        {
            // Files a failed trial's world still writes are unlinked now and closed by its teardown.
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"spdylab: could not delete the temporary captures {directory}: {e.Message}");
        }
    }

    /// <param name="swapped">The client is on the world's host side (in-process client): host.pcap is the client's.</param>
    private static async Task FillPacketEvidenceAsync(TrialRecord record, World world, bool swapped, TrialContext context)
    {
        if (!context.PacketEvidence || world.ClientCapture is not { } worldClient || world.HostCapture is not { } worldHost) return;
        var clientSide = swapped ? worldHost : worldClient;
        var serverSide = swapped ? worldClient : worldHost;
        using var _ = TrialProfile.Measure("packet evidence");
        // Closing the captures joins their writer threads and reading them is file I/O: not on a pool thread.
        await DedicatedThread.RunAsync("packet evidence", () =>
        {
            world.CompleteCaptures();
            // A capture that lost packets would undercount: the evidence stays NULL (not measured) rather than wrong.
            if (clientSide.Failure is not null || serverSide.Failure is not null || clientSide.PacketsNotWritten + serverSide.PacketsNotWritten > 0) return;
            TcpEvidence client, server;
            try
            {
                client = TcpEvidence.Read(clientSide.Name);
                server = TcpEvidence.Read(serverSide.Name);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"spdylab: trial {record.TrialKey}: no packet evidence: {e.Message}");
                return;
            }
            FillPacketEvidence(record, client, server);
        });
    }

    /// <summary>The record's pcap_* columns (docs/results.md): the uplink as the client's capture shows it, the
    /// downlink as the server's does; connections and SYNs from the client's side, which opens every connection.</summary>
    internal static void FillPacketEvidence(TrialRecord record, TcpEvidence clientSide, TcpEvidence serverSide)
    {
        var up = clientSide.Up;
        var down = serverSide.Down;
        record.PcapPacketsUp = up.Packets;
        record.PcapPacketsDown = down.Packets;
        record.PcapBytesUp = up.Bytes;
        record.PcapBytesDown = down.Bytes;
        record.PcapHeaderBytesUp = up.HeaderBytes;
        record.PcapHeaderBytesDown = down.HeaderBytes;
        record.PcapConnections = clientSide.Connections;
        record.PcapSynRetransmissions = clientSide.SynRetransmissions;
        record.PcapSynWaitMs = clientSide.SynWaitMs;
        record.PcapRetransmissionsUp = up.RetransmittedSegments;
        record.PcapRetransmissionsDown = down.RetransmittedSegments;
        record.PcapRecoveriesFast = up.RecoveriesFast + down.RecoveriesFast;
        record.PcapRecoveriesTimeout = up.RecoveriesTimeout + down.RecoveriesTimeout;
        record.PcapRecoveriesOther = up.RecoveriesOther + down.RecoveriesOther;
    }
}
