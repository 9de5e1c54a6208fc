using System.Net;
using System.Net.Sockets;
using SpdyLab.Client.PageLoad;

namespace SpdyLab.Client.Tests.PageLoad;

/// <summary>
/// Chromium's backup connect. A lost SYN is made real without root: a listener with backlog 0 whose one
/// accept-queue slot is taken drops every SYN (Linux tcp_conn_request: accept queue full), so the first
/// connect's SYN is lost and the kernel would retransmit it after its 1 s timeout. The test frees the slot
/// 100 ms in, so a SYN sent after that is answered.
/// </summary>
[CancelAfter(20_000)]
public class PageConnectorTests
{
    private static async Task<(double ConnectMs, ConnectionRecord Record)> ConnectThroughLostSynAsync(TimeSpan? backup, CancellationToken cancellationToken)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        using var occupant = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await occupant.ConnectAsync(endpoint, cancellationToken); // fills the accept queue

        var connector = new PageConnector(HostMap.All(endpoint), null, () => 0, backup);
        var connecting = connector.ConnectAsync("www.example.com", "www.example.com", null, cancellationToken);
        await Task.Delay(100, cancellationToken);
        using var accepted = await listener.AcceptAsync(cancellationToken); // frees the slot: later SYNs are answered
        await using var opened = await connecting;
        return (opened.Record.ConnectMs, opened.Record);
    }

    [Test]
    public async Task ConnectAsync_FirstSynLost_BackupConnectWinsLongBeforeTheKernelRetransmits(CancellationToken cancellationToken)
    {
        var (connectMs, record) = await ConnectThroughLostSynAsync(PageConnector.ChromiumBackupConnectDelay, cancellationToken);
        Assert.That(record.ConnectAttempts, Is.EqualTo(2));
        Assert.That(record.BackupConnectWon, Is.True);
        Assert.That(connectMs, Is.LessThan(900), "the kernel's SYN retransmission comes after 1 s; the backup's SYN at 250 ms");
    }

    [Test]
    public async Task ConnectAsync_NoBackup_WaitsForTheKernelsSynRetransmission(CancellationToken cancellationToken)
    {
        var (connectMs, record) = await ConnectThroughLostSynAsync(null, cancellationToken);
        Assert.That(record.ConnectAttempts, Is.EqualTo(1));
        Assert.That(record.BackupConnectWon, Is.False);
        Assert.That(connectMs, Is.GreaterThan(900));
    }

    [Test]
    public async Task ConnectAsync_QuickAnswer_StartsNoBackup(CancellationToken cancellationToken)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var connector = new PageConnector(HostMap.All((IPEndPoint)listener.LocalEndpoint), null, () => 0, PageConnector.ChromiumBackupConnectDelay);
        await using var opened = await connector.ConnectAsync("a.test", "a.test", null, cancellationToken);
        await Task.Delay(400, cancellationToken); // past the backup delay: nothing more may connect
        using var first = await listener.AcceptSocketAsync(cancellationToken);
        Assert.That(opened.Record.ConnectAttempts, Is.EqualTo(1));
        Assert.That(listener.Pending(), Is.False, "a second connection reached the server");
    }

    [Test]
    public async Task ConnectAsync_Refused_ReportsTheHostAndAddress()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var closedPort = (IPEndPoint)probe.LocalEndPoint!; // bound, not listening: connects are refused
        var connector = new PageConnector(HostMap.All(closedPort), null, () => 0, PageConnector.ChromiumBackupConnectDelay);
        var e = await Assert.ThrowsAsync<PageLoadException>(() => connector.ConnectAsync("a.test", "a.test", null, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("a.test").And.Contain(closedPort.ToString()));
    }
}
