using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SpdyLab.Client.Http2;
using SpdyLab.Client.Tests.Support;

namespace SpdyLab.Client.Tests.Http2;

/// <summary>The lab's HTTP/2 client against Kestrel's HTTP/2 server (an independent implementation).</summary>
public class Http2ClientConnectionTests
{
    private static readonly KeyValuePair<string, string>[] BrowserHeaders =
    [
        new("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"),
        new("accept", "*/*"), new("accept-encoding", "gzip, deflate, br"), new("accept-language", "en-US,en;q=0.9"),
        new("cookie", "session=0123456789abcdef0123456789abcdef; theme=dark"),
    ];

    private static async Task<Http2ClientConnection> ConnectAsync(IPEndPoint endpoint, bool tls = false)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint);
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        if (tls)
        {
            var ssl = new SslStream(stream);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            Assert.That(ssl.NegotiatedApplicationProtocol, Is.EqualTo(SslApplicationProtocol.Http2));
            stream = ssl;
        }

        return Http2ClientConnection.Start(stream);
    }

    private static Http2Request Get(string path, bool tls = false, Http2RequestPriority priority = Http2RequestPriority.Lowest) => new()
    {
        Method = "GET",
        Scheme = tls ? "https" : "http",
        Authority = "localhost",
        Path = path,
        Headers = BrowserHeaders,
        Priority = priority,
    };

    [Test, CancelAfter(30_000)]
    public async Task Send_ManyRequestsOverH2c_EveryBodyIntactOnOneConnection()
    {
        await using var server = await KestrelH2Server.StartAsync();
        await using var connection = await ConnectAsync(server.Cleartext);
        var sizes = Enumerable.Range(0, 60).Select(i => i * 997 % 70_000).ToList();

        var streams = sizes.Select(size => connection.Send(Get($"/bytes/{size}"), CancellationToken.None)).ToList();
        await Task.WhenAll(streams.Select(s => s.Completion));

        Assert.Multiple(() =>
        {
            for (var i = 0; i < sizes.Count; i++)
            {
                Assert.That(streams[i].Status, Is.EqualTo(200));
                Assert.That(streams[i].Body, Is.EqualTo(KestrelH2Server.Body(sizes[i])), $"/bytes/{sizes[i]}");
            }

            Assert.That(streams.Select(s => s.Id), Is.EqualTo(Enumerable.Range(0, sizes.Count).Select(i => 1 + (2 * i))), "stream ids in call order");
            Assert.That(server.Requests.Select(r => r.Connection).Distinct().Count(), Is.EqualTo(1));
            Assert.That(server.Requests.Select(r => r.Protocol), Has.All.EqualTo("HTTP/2"));
        });
    }

    [Test, CancelAfter(30_000)]
    public async Task Send_OverTlsWithAlpnH2_ReturnsTheBody()
    {
        await using var server = await KestrelH2Server.StartAsync();
        await using var connection = await ConnectAsync(server.Tls, tls: true);

        var stream = connection.Send(Get("/bytes/100000", tls: true), CancellationToken.None);
        await stream.Completion;

        Assert.Multiple(() =>
        {
            Assert.That(stream.Body, Is.EqualTo(KestrelH2Server.Body(100_000)));
            Assert.That(server.Requests.Single().Scheme, Is.EqualTo("https"));
        });
    }

    [Test, CancelAfter(60_000)]
    public async Task Send_BodyLargerThanStreamAndConnectionWindows_ArrivesWhole()
    {
        await using var server = await KestrelH2Server.StartAsync();
        await using var connection = await ConnectAsync(server.Cleartext);
        const int Size = 20 * 1024 * 1024; // > 6 MB stream window and > 15 MB connection window

        var stream = connection.Send(Get("/bytes/" + Size), CancellationToken.None);
        await stream.Completion;

        Assert.Multiple(() =>
        {
            Assert.That(stream.BodyLength, Is.EqualTo(Size));
            Assert.That(stream.Body, Is.EqualTo(KestrelH2Server.Body(Size)));
            // Half of 6 MB consumed: a stream update about every 3 MB; half of 15 MB: one connection update.
            Assert.That(connection.WindowUpdatesSent, Is.GreaterThanOrEqualTo(Size / (3 * 1024 * 1024)));
        });
    }

    [Test, CancelAfter(30_000)]
    public async Task Send_MoreRequestsThanTheServersMaxConcurrentStreams_WaitAndAllComplete()
    {
        await using var server = await KestrelH2Server.StartAsync(maxStreamsPerConnection: 5);
        await using var connection = await ConnectAsync(server.Cleartext);
        await connection.Send(Get("/bytes/1"), CancellationToken.None).Completion; // the server's SETTINGS have arrived

        var streams = Enumerable.Range(0, 40).Select(_ => connection.Send(Get("/slow/20"), CancellationToken.None)).ToList();
        await Task.WhenAll(streams.Select(s => s.Completion));

        Assert.Multiple(() =>
        {
            Assert.That(connection.PeerMaxConcurrentStreams, Is.EqualTo(5));
            Assert.That(streams.Select(s => s.Status), Has.All.EqualTo(200));
            Assert.That(connection.MaxActiveStreams, Is.EqualTo(5), "never more open than the server allows, and the limit used");
        });
    }

    [Test, CancelAfter(30_000)]
    public async Task Send_ServerResetsOneStream_OnlyThatStreamFails()
    {
        await using var server = await KestrelH2Server.StartAsync();
        await using var connection = await ConnectAsync(server.Cleartext);

        var before = connection.Send(Get("/slow/50"), CancellationToken.None);
        var reset = connection.Send(Get("/reset"), CancellationToken.None);
        var after = connection.Send(Get("/bytes/5000"), CancellationToken.None);
        await Task.WhenAll(before.Completion, after.Completion);

        var error = await Assert.ThrowsAsync<Http2StreamException>(() => reset.Completion);
        Assert.Multiple(() =>
        {
            Assert.That(error!.Error, Is.EqualTo(Http2ErrorCode.EnhanceYourCalm));
            Assert.That(error.Message, Does.Contain("RST_STREAM"));
            Assert.That(error.Retryable, Is.False);
            Assert.That(before.Status, Is.EqualTo(200));
            Assert.That(after.Body, Has.Length.EqualTo(5000));
            Assert.That(connection.CanOpenStreams, Is.True);
        });
    }

    [Test, CancelAfter(30_000)]
    public async Task Send_SameRequestAgain_HeaderBlockIsAFractionOfTheFirst()
    {
        await using var server = await KestrelH2Server.StartAsync();
        await using var connection = await ConnectAsync(server.Cleartext);

        var first = connection.Send(Get("/bytes/10"), CancellationToken.None);
        await first.Completion;
        var second = connection.Send(Get("/bytes/10"), CancellationToken.None);
        await second.Completion;

        Assert.Multiple(() =>
        {
            Assert.That(first.RequestHeaderBlockBytes, Is.GreaterThan(100));
            Assert.That(second.RequestHeaderBlockBytes, Is.LessThan(first.RequestHeaderBlockBytes / 5), $"{first.RequestHeaderBlockBytes} then {second.RequestHeaderBlockBytes}");
            Assert.That(server.Requests.Last().Headers["cookie"], Is.EqualTo("session=0123456789abcdef0123456789abcdef; theme=dark"), "the server rejoined the cookie crumbs");
            Assert.That(second.ResponseHeaderBlockBytes, Is.GreaterThan(0));
            Assert.That(connection.HeaderBlockBytesSent, Is.EqualTo(first.RequestHeaderBlockBytes + second.RequestHeaderBlockBytes));
        });
    }

    [Test, CancelAfter(30_000)]
    public async Task Send_Cancelled_ResetsTheStreamAndTheConnectionGoesOn()
    {
        await using var server = await KestrelH2Server.StartAsync();
        await using var connection = await ConnectAsync(server.Cleartext);
        using var cancel = new CancellationTokenSource();

        var slow = connection.Send(Get("/slow/5000"), cancel.Token);
        await Task.Delay(100);
        await cancel.CancelAsync();
        var next = connection.Send(Get("/bytes/10"), CancellationToken.None);
        await next.Completion;

        Assert.Multiple(() =>
        {
            Assert.That(async () => await slow.Completion, Throws.InstanceOf<OperationCanceledException>());
            Assert.That(next.Status, Is.EqualTo(200));
        });
    }
}
