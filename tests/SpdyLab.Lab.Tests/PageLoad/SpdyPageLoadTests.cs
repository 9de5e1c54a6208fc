using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SpdyLab.Client.PageLoad;
using SpdyLab.Lab.Loading;
using SpdyLab.Server.Hosting;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Tests.PageLoad;

/// <summary>The page loader over SPDY against Kestrel + the lab's SPDY server replaying a snapshot (cleartext port).</summary>
public class SpdyPageLoadTests
{
    internal sealed class SpdyReplayServer : IAsyncDisposable
    {
        private WebApplication _app = null!;

        public IPEndPoint Endpoint { get; private set; } = null!;

        public ConcurrentQueue<(string Host, string Target, string Connection)> Requests { get; } = new();

        /// <param name="cleartextSpdy3">Cleartext SPDY/3 and /3.1 frames both say version 3: the server must be told which it speaks.</param>
        /// <param name="socketSendBuffer">SO_SNDBUF of the server's sockets (set on the listening socket, which
        /// accepted sockets inherit; this also turns off Linux's send-buffer autotuning): what the kernel may
        /// hold below the SPDY output scheduler.</param>
        public static async Task<SpdyReplayServer> StartAsync(Snapshot snapshot, ReplayMode mode, bool cleartextSpdy3 = false, int? socketSendBuffer = null)
        {
            var server = new SpdyReplayServer();
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            if (socketSendBuffer is { } sendBuffer)
            {
                builder.WebHost.UseSockets(sockets => sockets.CreateBoundListenSocket = endpoint =>
                {
                    var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                    socket.SendBufferSize = sendBuffer;
                    return socket;
                });
            }

            builder.WebHost.ListenSpdy([], [new IPEndPoint(IPAddress.Loopback, 0)], null, null,
                spdy => spdy.CleartextVersion3 = cleartextSpdy3 ? SpdyWireVersion.Spdy3 : SpdyWireVersion.Spdy31);
            var app = builder.Build();
            app.Use(async (context, next) =>
            {
                server.Requests.Enqueue((context.Request.Host.Host, context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? context.Request.Path + context.Request.QueryString, context.Connection.Id));
                await next(context);
            });
            app.UseSnapshotReplay(new SnapshotReplayOptions { Snapshot = snapshot, Mode = mode });
            await app.StartAsync();
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
            server._app = app;
            server.Endpoint = new IPEndPoint(IPAddress.Loopback, address.Port);
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(timeout.Token);
            await _app.DisposeAsync();
        }
    }

    internal static PageLoadOptions Options(IPEndPoint endpoint, string protocol, bool singleDomain, string feature = "plain") => new()
    {
        Protocol = protocol,
        SingleDomain = singleDomain,
        Hosts = HostMap.All(endpoint),
        Prefetch = feature == "prefetch",
        Feature = feature,
        Timeout = TimeSpan.FromSeconds(20),
    };

    [TestCase("spdy/3.1", false)]
    [TestCase("spdy/3.1", true)]
    [TestCase("spdy/3", true)]
    [TestCase("spdy/3", false)]
    [TestCase("spdy/2", true)]
    [TestCase("spdy/2", false)]
    [CancelAfter(30_000)]
    public async Task Load_Spdy_EveryResourceOnce_OneSessionPerHostOrOneInAll(string protocol, bool singleDomain)
    {
        var snapshot = TestPages.Build();
        var page = SnapshotPage.From(snapshot);
        await using var server = await SpdyReplayServer.StartAsync(snapshot, ReplayMode.Plain, cleartextSpdy3: protocol == "spdy/3");

        var result = await PageLoader.LoadAsync(page, Options(server.Endpoint, protocol, singleDomain), CancellationToken.None);

        Assert.That(result.Failed, Is.Zero, string.Join("\n", result.ResourceList.Where(r => r.Error is not null).Select(r => $"{r.Url}: {r.Error}")));
        Assert.That(result.ResourceList.Select(r => r.Url), Is.EquivalentTo(page.Resources.Select(r => r.Url)));
        Assert.That(server.Requests.Select(r => $"http://{r.Host}{r.Target}"), Is.EquivalentTo(page.Resources.Select(r => r.Url)), "each URL requested once");
        Assert.Multiple(() =>
        {
            Assert.That(result.Connections, Is.EqualTo(singleDomain ? 1 : 3), "www, img, ads");
            Assert.That(server.Requests.Select(r => r.Connection).Distinct().Count(), Is.EqualTo(singleDomain ? 1 : 3));
            Assert.That(result.HeaderBytes.RequestWire, Is.GreaterThan(0).And.LessThan(result.HeaderBytes.RequestRaw / 2), "zlib-compressed request headers");
            Assert.That(result.HeaderBytes.ResponseWire, Is.GreaterThan(0).And.LessThan(result.HeaderBytes.ResponseRaw));
            Assert.That(result.Down.Bodies, Is.EqualTo(snapshot.Exchanges.Sum(e => e.BodySize)));
        });
    }

    [Test, CancelAfter(30_000)]
    public async Task Load_SpdyPush_PushedResourcesAreNotRequestedAgain()
    {
        var snapshot = TestPages.Build();
        var page = SnapshotPage.From(snapshot);
        await using var server = await SpdyReplayServer.StartAsync(snapshot, ReplayMode.Push);

        var result = await PageLoader.LoadAsync(page, Options(server.Endpoint, "spdy/3.1", true, "push"), CancellationToken.None);

        var pushed = result.ResourceList.Where(r => r.FromPush).Select(r => r.Url).ToList();
        Assert.That(result.Failed, Is.Zero, string.Join("\n", result.ResourceList.Where(r => r.Error is not null).Select(r => $"{r.Url}: {r.Error}")));
        Assert.That(pushed, Is.Not.Empty, "the replay's X-Associated-Content made the server push");
        Assert.That(result.ResourceList.Select(r => r.Url), Is.EquivalentTo(page.Resources.Select(r => r.Url)));
        var requested = server.Requests.Select(r => $"http://{r.Host}{r.Target}").ToList();
        Assert.Multiple(() =>
        {
            // The server runs the app once per push too, so each URL shows once whether pushed or requested.
            Assert.That(requested, Is.EquivalentTo(page.Resources.Select(r => r.Url)), "nothing fetched twice, pushed or not");
            Assert.That(result.ResourceList.Where(r => r.FromPush).Select(r => r.Timings.Send), Has.All.EqualTo(0));
            Assert.That(result.Pushes.Used, Is.EqualTo(pushed.Count));
            Assert.That(result.Requests + pushed.Count, Is.EqualTo(page.Resources.Count));
        });
    }
}
