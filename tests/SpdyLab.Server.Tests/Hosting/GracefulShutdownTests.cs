using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SpdyLab.Protocol;
using SpdyLab.Testing;
using SpdyLab.Protocol.Framing;

namespace SpdyLab.Server.Tests.Hosting;

public class GracefulShutdownTests
{
    [Test, CancelAfter(30000)]
    public async Task StopAsync_StreamInFlight_GoAwayOkThenStreamFinishes(CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await TestServer.StartAsync(app => app.MapGet("/slow", async () =>
        {
            started.TrySetResult();
            await Task.Delay(700);
            return "finished";
        }), spdy => spdy.ShutdownTimeout = TimeSpan.FromSeconds(5));
        using var peer = await RawSpdyPeer.ConnectAsync(server.PlainUri, cancellationToken);
        await peer.SendAsync(peer.SynStream(1, "GET", "/slow", fin: true), cancellationToken);
        await started.Task.WaitAsync(cancellationToken);

        var stop = server.DisposeAsync().AsTask();
        var frames = new List<SpdyFrame>();
        while (await peer.ReadFrameAsync(TimeSpan.FromSeconds(5), cancellationToken) is { } frame)
        {
            frames.Add(frame);
        }
        await stop.WaitAsync(cancellationToken);

        var goAway = frames.OfType<GoAwayFrame>().FirstOrDefault();
        Assert.That(goAway?.Status, Is.EqualTo(GoAwayStatus.Ok), string.Join("\n", frames));
        Assert.That(goAway?.LastGoodStreamId, Is.EqualTo(1));
        var finalData = frames.OfType<DataFrame>().Where(d => d.StreamId == 1).ToList();
        Assert.That(frames.IndexOf(goAway!), Is.LessThan(frames.IndexOf(frames.OfType<SynReplyFrame>().Single())), "GOAWAY before the in-flight answer");
        Assert.That(finalData.Last().IsFin, Is.True);
    }
}
