using SpdyLab.Emulator.Link;

namespace SpdyLab.Emulator.Tests.Link;

internal static class StageTestHelpers
{
    public static Packet PacketOf(int length, byte tag = 0)
    {
        var packet = new Packet(length) { Length = length };
        if (length > 0) packet.Buffer[0] = tag;
        return packet;
    }

    /// <summary>Runs the stage on virtual time until empty, returning each packet's departure time.</summary>
    public static List<(long Time, Packet Packet)> Drain(IPacketStage stage, long limit = long.MaxValue / 4)
    {
        var output = new List<(long, Packet)>();
        while (stage.NextEventTime is var next && next != long.MaxValue && next <= limit)
        {
            while (stage.TryDequeue(next, out var packet)) output.Add((packet.Time, packet));
        }
        return output;
    }
}
