using System.Diagnostics;
using System.IO.Pipelines;
using SpdyLab.Protocol.Tests.TestPeer;

namespace SpdyLab.Protocol.Tests.Session;

/// <summary>Prints engine-to-engine figures over in-memory pipes. Explicit: run with
/// <c>dotnet test tests/SpdyLab.Protocol.Tests --filter Category=Benchmark</c>; it asserts nothing about speed.</summary>
[Explicit("benchmark: prints figures")]
[Category("Benchmark")]
public class ThroughputBenchmark
{
    [TestCase(SpdyVersion.Spdy2)]
    [TestCase(SpdyVersion.Spdy3)]
    [TestCase(SpdyVersion.Spdy31)]
    [CancelAfter(60000)]
    public async Task Throughput_OneBigBodyAndManySmallRequests_PrintsFigures(SpdyVersion version)
    {
        var toServer = new Pipe(new PipeOptions(useSynchronizationContext: false));
        var toClient = new Pipe(new PipeOptions(useSynchronizationContext: false));
        var big = new byte[64 << 20];
        var ready = new TaskCompletionSource<SpdySession>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new SpdySession(new DuplexPipe(toServer.Reader, toClient.Writer), new SpdySessionOptions { Version = version, Role = SpdyRole.Server }, async stream =>
        {
            var session = await ready.Task;
            var path = session.Profile.ReadRequest(stream.Headers).Path!;
            await stream.WriteHeadersAsync(session.Profile.CreateResponseHeaders(200), endStream: false);
            await stream.WriteDataAsync(path == "/big" ? big : new byte[1000], endStream: true);
        });
        ready.SetResult(server);
        await using var client = new SpdySession(new DuplexPipe(toClient.Reader, toServer.Writer),
            new SpdySessionOptions { Version = version, Role = SpdyRole.Client, InitialWindowSize = 1 << 20, SessionWindowSize = 16 << 20 });
        _ = server.RunAsync();
        _ = client.RunAsync();
        HeaderList Request(string path) => client.Profile.CreateRequestHeaders(new SpdyRequestHead("GET", "https", "bench.test", path), [new("user-agent", "bench")]);

        var watch = Stopwatch.StartNew();
        var stream = await client.OpenStreamAsync(Request("/big"), 0, true);
        long received = 0;
        while (true)
        {
            var result = await stream.Input.ReadAsync();
            received += result.Buffer.Length;
            stream.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        var bulk = watch.Elapsed;
        watch.Restart();
        const int requests = 2000;
        await Parallel.ForEachAsync(Enumerable.Range(0, requests), new ParallelOptions { MaxDegreeOfParallelism = 50 }, async (i, ct) =>
        {
            var s = await client.OpenStreamAsync(Request($"/small/{i}"), 3, true, ct);
            await ClientSessionTests.ReadToEndAsync(s.Input);
        });
        var small = watch.Elapsed;

        TestContext.Out.WriteLine($"{version}: 64 MB body {received / bulk.TotalSeconds / 1e6:F0} MB/s; {requests} requests of 1 KB (50 in flight) {requests / small.TotalSeconds:F0} req/s; " +
            $"request headers {client.Counters.HeaderBytesSentRaw} -> {client.Counters.HeaderBytesSentCompressed} bytes ({100.0 * (1 - (double)client.Counters.HeaderBytesSentCompressed / client.Counters.HeaderBytesSentRaw):F1}% saved), " +
            $"response headers {server.Counters.HeaderBytesSentRaw} -> {server.Counters.HeaderBytesSentCompressed} bytes");
        Assert.That(received, Is.EqualTo(big.Length));
    }
}
