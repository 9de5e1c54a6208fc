using System.Net;
using SpdyLab.Lab.Bench;

namespace SpdyLab.Lab.Tests.Bench;

public class RawLoadTests
{
    private const int Size = 20_000;

    private static RawLoadSettings Settings(BenchServer server, RawProtocol protocol, string path, int expected) => new()
    {
        Protocol = protocol,
        EndPoint = new IPEndPoint(IPAddress.Loopback, protocol == RawProtocol.Spdy31 ? server.SpdyPort : server.Http2Port),
        Path = path,
        ExpectedBodyLength = expected,
        Load = new BenchLoad(2, 5),
        WarmUp = TimeSpan.FromSeconds(0.1),
        Window = TimeSpan.FromSeconds(0.4),
    };

    [TestCase(RawProtocol.Spdy31)]
    [TestCase(RawProtocol.Http2)]
    [CancelAfter(60_000)]
    public async Task Run_AgainstBenchServer_CountsMatchWhatTheServerServed(RawProtocol protocol, CancellationToken cancellationToken)
    {
        var path = ServerBench.ResourcePath(Size);
        await using var server = await BenchServer.StartAsync(new Dictionary<string, byte[]> { [path] = ServerBench.Body(Size) }, cancellationToken);

        var result = await Task.Run(() => RawLoad.Run(Settings(server, protocol, path, Size), cancellationToken), cancellationToken);

        Assert.Multiple(() =>
        {
            Assert.That(result.Errors, Is.Zero, result.Note);
            Assert.That(result.WindowBad, Is.Zero, result.Note);
            Assert.That(result.TotalBad, Is.Zero, result.Note);
            // Each of the 10 slots was answered at least once (a cold start can leave the short window empty).
            Assert.That(result.TotalResponses, Is.GreaterThanOrEqualTo(10));
            Assert.That(result.WindowOk, Is.LessThanOrEqualTo(result.TotalResponses));
            Assert.That(result.SortedLatencyTicks, Has.Length.EqualTo(result.WindowOk));
            // Every request sent was answered (the run drains), and each side counted the same requests and bytes.
            Assert.That(result.TotalResponses, Is.EqualTo(result.TotalRequestsSent));
            Assert.That(result.TotalResponses, Is.EqualTo(server.Served));
            Assert.That(result.TotalBodyBytes, Is.EqualTo(server.ServedBodyBytes));
            Assert.That(result.TotalBodyBytes, Is.EqualTo(result.TotalResponses * Size));
        });
    }

    [TestCase(RawProtocol.Spdy31)]
    [TestCase(RawProtocol.Http2)]
    [CancelAfter(60_000)]
    public async Task Run_ResponseOfAnotherLength_CountedBad(RawProtocol protocol, CancellationToken cancellationToken)
    {
        var path = ServerBench.ResourcePath(Size);
        await using var server = await BenchServer.StartAsync(new Dictionary<string, byte[]> { [path] = ServerBench.Body(Size) }, cancellationToken);

        // One byte more than the server sends.
        var result = await Task.Run(() => RawLoad.Run(Settings(server, protocol, path, Size + 1), cancellationToken), cancellationToken);

        Assert.Multiple(() =>
        {
            Assert.That(result.WindowOk, Is.Zero);
            Assert.That(result.TotalBad, Is.EqualTo(result.TotalResponses));
            Assert.That(result.TotalResponses, Is.GreaterThanOrEqualTo(10));
            Assert.That(result.Note, Does.Contain($"{Size} body bytes (expected {Size + 1})"));
        });
    }

    [TestCase(RawProtocol.Spdy31)]
    [TestCase(RawProtocol.Http2)]
    [CancelAfter(60_000)]
    public async Task Run_NotFound_CountedBadNotServed(RawProtocol protocol, CancellationToken cancellationToken)
    {
        await using var server = await BenchServer.StartAsync(new Dictionary<string, byte[]> { [ServerBench.ResourcePath(Size)] = ServerBench.Body(Size) }, cancellationToken);

        var result = await Task.Run(() => RawLoad.Run(Settings(server, protocol, "/missing.bin", Size), cancellationToken), cancellationToken);

        Assert.Multiple(() =>
        {
            Assert.That(result.WindowOk, Is.Zero);
            Assert.That(result.TotalBad, Is.EqualTo(result.TotalResponses));
            Assert.That(result.TotalResponses, Is.GreaterThanOrEqualTo(10));
            Assert.That(result.TotalBodyBytes, Is.Zero);
            Assert.That(server.Served, Is.Zero);
        });
    }
}
