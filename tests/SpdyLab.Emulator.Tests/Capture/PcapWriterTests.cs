using System.Buffers.Binary;
using System.Diagnostics;
using SpdyLab.Emulator.Capture;

namespace SpdyLab.Emulator.Tests.Capture;

public class PcapWriterTests
{
    // A minimal IPv4/UDP packet 10.0.0.1:1000 -> 10.0.0.2:2000 with 4 payload bytes.
    private static readonly byte[] UdpPacket =
    [
        0x45, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
        10, 0, 0, 1, 10, 0, 0, 2,
        0x03, 0xe8, 0x07, 0xd0, 0x00, 0x0c, 0x00, 0x00,
        1, 2, 3, 4,
    ];

    [Test]
    public void Write_TwoPackets_ProducesRawLinkTypeFileWithMicrosecondTimes()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, monotonicOriginMicros: 1000, unixOriginMicros: 1_700_000_000_000_000))
        {
            writer.Write(1000, UdpPacket);
            writer.Write(2_501_234, UdpPacket);
        }
        var bytes = stream.ToArray();
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes), Is.EqualTo(0xa1b2c3d4));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(20)), Is.EqualTo(101));
        int second = 24 + 16 + UdpPacket.Length;
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(second)), Is.EqualTo(1_700_000_002));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(second + 4)), Is.EqualTo(500_234));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(second + 8)), Is.EqualTo(UdpPacket.Length));
        Assert.That(bytes.Length, Is.EqualTo(24 + 2 * (16 + UdpPacket.Length)));
    }

    [Test]
    [CancelAfter(30_000)]
    public void Write_File_IsReadByTshark()
    {
        var tshark = new[] { "/usr/bin/tshark", "/usr/local/bin/tshark" }.FirstOrDefault(File.Exists);
        if (tshark is null) Assert.Ignore("tshark is not installed (apt-get install tshark)");
        var path = Path.Combine(Path.GetTempPath(), $"spdylab-pcap-test-{Environment.ProcessId}.pcap");
        try
        {
            using (var writer = PcapWriter.Create(path, 0, 1_700_000_000_000_000)) writer.Write(5, UdpPacket);
            var start = new ProcessStartInfo(tshark, ["-r", path, "-T", "fields", "-e", "ip.src", "-e", "udp.dstport", "-e", "frame.time_epoch"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(20_000);
            Assert.That(process.ExitCode, Is.EqualTo(0), process.StandardError.ReadToEnd());
            Assert.That(output, Does.Contain("10.0.0.1\t2000\t1700000000.000005"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Write_DiskFills_NeverThrowsStopsCaptureAndReportsOnce()
    {
        var reports = new List<string>();
        using var writer = new PcapWriter(new Worlds.FullDiskStream(capacity: 200), 0, 0, "host.pcap") { Failed = reports.Add };
        for (int i = 0; i < 20; i++) writer.Write(i, UdpPacket);

        Assert.That(writer.Failure, Is.InstanceOf<IOException>());
        Assert.That(writer.PacketsWritten, Is.EqualTo((200 - 24) / (16 + UdpPacket.Length)));
        Assert.That(writer.PacketsWritten + writer.PacketsNotWritten, Is.EqualTo(20));
        Assert.That(reports, Has.Count.EqualTo(1));
        Assert.That(reports[0], Does.StartWith("packet capture host.pcap stopped after 3 packets: No space left on device"));
    }

    [Test]
    public void Create_HeaderWriteFails_FirstWriteReportsOnce()
    {
        var reports = new List<string>();
        using var writer = new PcapWriter(new Worlds.FullDiskStream(capacity: 10), 0, 0, "x.pcap") { Failed = reports.Add };
        writer.Write(1, UdpPacket);
        writer.Write(2, UdpPacket);

        Assert.That(writer.PacketsNotWritten, Is.EqualTo(2));
        Assert.That(reports, Has.Count.EqualTo(1));
    }
}
