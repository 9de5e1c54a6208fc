using System.Buffers.Binary;
using System.Diagnostics;
using SpdyLab.Emulator.Capture;

namespace SpdyLab.Emulator.Tests.Capture;

[CancelAfter(30_000)]
public class PcapCaptureTests
{
    // A minimal IPv4/UDP packet 10.0.0.1:1000 -> 10.0.0.2:2000 with 4 payload bytes.
    private static readonly byte[] UdpPacket =
    [
        0x45, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
        10, 0, 0, 1, 10, 0, 0, 2,
        0x03, 0xe8, 0x07, 0xd0, 0x00, 0x0c, 0x00, 0x00,
        1, 2, 3, 4,
    ];

    private string _directory = "";

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("spdylab-pcap-test-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    [Test]
    public void Write_TwoPackets_ProducesRawLinkTypeFileWithMicrosecondTimes()
    {
        var path = Path.Combine(_directory, "a.pcap");
        using (var capture = PcapCapture.Create(path, monotonicOriginMicros: 1000, unixOriginMicros: 1_700_000_000_000_000))
        {
            capture.Write(1000, UdpPacket);
            capture.Write(2_501_234, UdpPacket);
            capture.Complete();
            Assert.That(capture.PacketsWritten, Is.EqualTo(2));
        }
        var bytes = File.ReadAllBytes(path);
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes), Is.EqualTo(0xa1b2c3d4));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(20)), Is.EqualTo(PcapCapture.FileLinkType));
        int second = 24 + 16 + UdpPacket.Length;
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(second)), Is.EqualTo(1_700_000_002));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(second + 4)), Is.EqualTo(500_234));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(second + 8)), Is.EqualTo(UdpPacket.Length));
        Assert.That(bytes.AsSpan(second + 16).ToArray(), Is.EqualTo(UdpPacket));
        Assert.That(bytes.Length, Is.EqualTo(24 + 2 * (16 + UdpPacket.Length)));
    }

    [Test]
    public void Write_File_IsReadByTshark()
    {
        var tshark = new[] { "/usr/bin/tshark", "/usr/local/bin/tshark" }.FirstOrDefault(File.Exists);
        if (tshark is null) Assert.Ignore("tshark is not installed (apt-get install tshark)");
        var path = Path.Combine(_directory, "b.pcap");
        using (var capture = PcapCapture.Create(path, 0, 1_700_000_000_000_000)) capture.Write(5, UdpPacket);
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

    [Test]
    public void Write_DeviceFull_NeverThrowsStopsCaptureAndReportsOnce()
    {
        // /dev/full takes the open and fails every write with ENOSPC, as a full disk does.
        var reports = new List<string>();
        var capture = PcapCapture.Create("/dev/full", 0, 0);
        capture.Failed = line => { lock (reports) reports.Add(line); };
        const int count = 1000; // far more than libpcap's stdio buffer holds
        for (int i = 0; i < count; i++) capture.Write(i, UdpPacket);
        capture.Complete();

        Assert.That(capture.Failure, Is.InstanceOf<IOException>());
        Assert.That(capture.PacketsWritten + capture.PacketsNotWritten, Is.EqualTo(count));
        Assert.That(capture.PacketsNotWritten, Is.GreaterThan(count / 2));
        Assert.That(reports, Has.Count.EqualTo(1));
        Assert.That(reports[0], Does.StartWith("packet capture /dev/full stopped after").And.Contain("No space left on device").And.EndWith("the link goes on without capture"));
    }

    [Test]
    public void Create_FolderMissing_ThrowsNamingThePath()
    {
        var path = Path.Combine(_directory, "no-such-folder", "c.pcap");
        var error = Assert.Throws<IOException>(() => PcapCapture.Create(path, 0, 0));
        Assert.That(error!.Message, Does.Contain(path).And.Contain("writable"));
    }

    [Test]
    public void Write_AfterComplete_IsIgnoredAndFileStaysComplete()
    {
        var path = Path.Combine(_directory, "d.pcap");
        using var capture = PcapCapture.Create(path, 0, 0);
        capture.Write(1, UdpPacket);
        capture.Complete();
        capture.Write(2, UdpPacket);
        capture.Complete();

        Assert.That(capture.PacketsWritten, Is.EqualTo(1));
        Assert.That(capture.Failure, Is.Null);
        Assert.That(new FileInfo(path).Length, Is.EqualTo(24 + 16 + UdpPacket.Length));
    }
}
