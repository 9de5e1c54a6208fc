using System.Diagnostics;
using SpdyLab.Emulator.Interop;
using SpdyLab.Emulator.Worlds;

namespace SpdyLab.Emulator.Tests.Worlds;

[NonParallelizable]
public class VethPairTests
{
    [Test]
    [CancelAfter(30_000)]
    public void Create_MtuSized_ClientReachesHostAndDisposeRemovesBothNamespaces([Values] bool mtuSized)
    {
        RootCheck.RequireRoot();
        string client, server;
        using (var pair = VethPair.Create(mtuSized))
        {
            client = pair.ClientNamespace;
            server = pair.ServerNamespace;
            var start = pair.ClientProcess("ping", ["-q", "-n", "-c", "2", "-i", "0.05", "-W", "2", pair.HostAddress.ToString()]);
            start.RedirectStandardOutput = true;
            using var ping = Process.Start(start)!;
            string output = ping.StandardOutput.ReadToEnd();
            Assert.That(ping.WaitForExit(10_000), Is.True);
            Assert.That(output, Does.Contain("2 received"));
        }
        Assert.That(File.Exists(NetworkNamespace.PathOf(client)), Is.False);
        Assert.That(File.Exists(NetworkNamespace.PathOf(server)), Is.False);
    }
}
