using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SpdyLab.Emulator.Capture;
using SpdyLab.Emulator.Link;
using SpdyLab.Emulator.Worlds;

namespace SpdyLab.Emulator.Tests.Capture;

/// <summary>
/// The evidence counts against tshark's on a sample: TCP transfers both ways through a world with 3% loss,
/// captured on both sides, each file judged by <see cref="TcpEvidence"/> and by tshark for the direction its
/// side sends. Needs root (a world) and tshark (scripts/install-deps.sh).
/// </summary>
[NonParallelizable]
[CancelAfter(120_000)]
public class TcpEvidenceTsharkTests
{
    private const int Connections = 8, UploadBytes = 100_000, DownloadBytes = 500_000;

    [Test]
    public void Read_LossyTransfersCapturedOnBothSides_CountsMatchTsharkWithin1Percent()
    {
        RootCheck.RequireRoot();
        var tshark = new[] { "/usr/bin/tshark", "/usr/local/bin/tshark" }.FirstOrDefault(File.Exists);
        if (tshark is null) Assert.Ignore("tshark is not installed (scripts/install-deps.sh, or apt-get install tshark)");
        var directory = Directory.CreateTempSubdirectory("spdylab-evidence-test-").FullName;
        try
        {
            var link = new LinkOptions { Down = "20mbit", Up = "5mbit", Rtt = "20ms", Loss = "3%", Seed = "21" }.ToSpec();
            string clientAddress, hostAddress;
            using (var world = World.Create(new WorldOptions { Link = link, HostSide = HostSide.ServerNamespace, PcapDirectory = directory }))
            {
                clientAddress = world.ClientAddress.ToString();
                hostAddress = world.HostAddress.ToString();
                Transfer(world);
                world.CompleteCaptures();
                Assert.That(world.Captures.Sum(c => c.PacketsNotWritten), Is.Zero);
            }
            var client = TcpEvidence.Read(Path.Combine(directory, "client.pcap"));
            var host = TcpEvidence.Read(Path.Combine(directory, "host.pcap"));
            var fromClient = Tshark(tshark, Path.Combine(directory, "client.pcap"), clientAddress);
            var fromHost = Tshark(tshark, Path.Combine(directory, "host.pcap"), hostAddress);
            TestContext.Out.WriteLine($"client side: ours {client.Up.Packets} packets, {client.Up.Bytes} B, {client.Connections} connections, " +
                $"{client.SynRetransmissions} SYN retransmissions, {client.Up.RetransmittedSegments} retransmissions; tshark {fromClient}");
            TestContext.Out.WriteLine($"host side: ours {host.Down.Packets} packets, {host.Down.Bytes} B, {host.Down.RetransmittedSegments} retransmissions; tshark {fromHost}");

            Assert.That(client.Connections, Is.EqualTo(Connections));
            Assert.That(fromClient.Streams, Is.EqualTo(Connections));
            Assert.That(client.Up.Packets, Is.EqualTo(fromClient.Packets));
            Assert.That(client.Up.Bytes, Is.EqualTo(fromClient.Bytes));
            Assert.That(host.Down.Packets, Is.EqualTo(fromHost.Packets));
            Assert.That(host.Down.Bytes, Is.EqualTo(fromHost.Bytes));
            Assert.That(client.SynRetransmissions, Is.EqualTo(fromClient.SynRetransmissions));
            Assert.That(host.Down.RetransmittedSegments, Is.GreaterThan(20), "3% loss of ~2,800 segments: the sample has retransmissions to compare");
            Assert.That(client.Up.RetransmittedSegments, Is.EqualTo(fromClient.Retransmissions).Within(1).Percent);
            Assert.That(host.Down.RetransmittedSegments, Is.EqualTo(fromHost.Retransmissions).Within(1).Percent);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Each connection uploads 100 kB, then the server sends 500 kB back and closes.</summary>
    private static void Transfer(World world)
    {
        using var listener = world.RunInServerNamespace(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(world.HostAddress, 0));
            socket.Listen(Connections);
            return socket;
        });
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var server = Task.Run(() =>
        {
            var served = new List<Task>();
            for (int i = 0; i < Connections; i++)
            {
                var connection = listener.Accept();
                served.Add(Task.Run(() =>
                {
                    using (connection)
                    {
                        ReceiveExactly(connection, UploadBytes);
                        connection.Send(new byte[DownloadBytes]);
                        connection.Shutdown(SocketShutdown.Send);
                        connection.Receive(new byte[1]); // until the client closes
                    }
                }));
            }
            Task.WaitAll(served);
        });
        var clients = Enumerable.Range(0, Connections).Select(_ => Task.Run(() =>
        {
            using var socket = world.RunInClientNamespace(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            socket.Connect(world.HostAddress, port);
            socket.Send(new byte[UploadBytes]);
            var buffer = new byte[65536];
            long received = 0;
            int n;
            while ((n = socket.Receive(buffer)) > 0) received += n;
            Assert.That(received, Is.EqualTo(DownloadBytes));
        })).ToArray();
        Assert.That(Task.WaitAll(clients, 90_000), Is.True, "the transfers did not finish in 90 s");
        Assert.That(server.Wait(10_000), Is.True, "the server did not finish");
        Assert.That(world.WaitForQuiet(TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(5)), Is.True);
    }

    private static void ReceiveExactly(Socket socket, int count)
    {
        var buffer = new byte[65536];
        for (int total = 0; total < count;)
        {
            int n = socket.Receive(buffer, 0, Math.Min(buffer.Length, count - total), SocketFlags.None);
            if (n == 0) throw new IOException("the client closed early");
            total += n;
        }
    }

    private sealed record TsharkCounts(long Packets, long Bytes, int Streams, int SynRetransmissions, long Retransmissions);

    /// <summary>tshark's view of the packets <paramref name="source"/> sent in <paramref name="file"/>.</summary>
    private static TsharkCounts Tshark(string tshark, string file, string source)
    {
        var sent = Fields(tshark, file, $"ip.src=={source}", "ip.len", "tcp.stream");
        var syn = Fields(tshark, file, $"ip.src=={source} && tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.analysis.retransmission", "frame.number");
        // At the sender's own capture point nothing is reordered, so every segment below the highest sequence
        // sent is a retransmission; tshark calls those that follow the original within its reordering
        // threshold "out-of-order" rather than "retransmission", so they are counted too.
        var retransmitted = Fields(tshark, file,
            $"ip.src=={source} && (tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission || tcp.analysis.out_of_order)",
            "frame.number");
        return new TsharkCounts(sent.Count, sent.Sum(f => long.Parse(f[0])), sent.Select(f => f[1]).Distinct().Count(), syn.Count, retransmitted.Count);
    }

    private static List<string[]> Fields(string tshark, string file, string filter, params string[] fields)
    {
        var arguments = new List<string> { "-r", file, "-n", "-Y", filter, "-T", "fields", "-E", "separator=," };
        foreach (var field in fields) arguments.AddRange(["-e", field]);
        var start = new ProcessStartInfo(tshark, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.That(process.WaitForExit(60_000), Is.True, "tshark did not finish in 60 s");
        Assert.That(process.ExitCode, Is.EqualTo(0), $"tshark -Y '{filter}': {error.Result}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(',')).ToList();
    }
}
