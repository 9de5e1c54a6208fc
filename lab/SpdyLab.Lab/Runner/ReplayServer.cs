using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SpdyLab.Emulator.Worlds;
using SpdyLab.Server.Hosting;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Runner;

/// <summary>
/// The replay server of one trial, in-process: Kestrel with SPDY (server library) and the snapshot replay
/// middleware (sites library), listening on addresses that exist only in the world's server namespace.
/// The listening sockets are created on a thread inside that namespace and handed to Kestrel by file
/// descriptor (ListenHandle); connections accepted on them belong to the namespace too, so the server
/// runs on ordinary thread-pool threads while its traffic crosses the emulated link.
/// </summary>
public sealed class ReplayServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private readonly List<(ulong Fd, string Target)> listeners;

    private ReplayServer(WebApplication app, List<(ulong Fd, string Target)> listeners)
    {
        this.app = app;
        this.listeners = listeners;
    }

    /// <param name="world">The trial's world.</param>
    /// <param name="inClientNamespace">Listen in the world's client namespace instead of its server namespace
    /// (when the client runs in the root namespace, on the host side of the link).</param>
    /// <param name="endpoints">Where to listen (addresses that exist in that namespace).</param>
    /// <param name="certificate">Server certificate for TLS listeners, or null for cleartext (SPDY and HTTP/1.1 share the port).</param>
    public static async Task<ReplayServer> StartAsync(World world, bool inClientNamespace, IReadOnlyList<IPEndPoint> endpoints, SnapshotReplayOptions replay,
        X509Certificate2? certificate, X509Certificate2Collection? chain, CancellationToken cancellationToken)
    {
        // One listening socket per port, on every address of the namespace (all of which are the trial's
        // server addresses): Kestrel closed only one of several ListenHandle sockets when it stopped, so a
        // multi-domain trial left one socket (and its whole network namespace) behind per further host; the
        // full design ran out of descriptors (20,000) after 4,544 trials. Connections still arrive on each
        // host's own address, and the replay routes by Host/:host as before.
        var listen = endpoints.Count > 1
            ? endpoints.Select(e => e.Port).Distinct().Select(port => new IPEndPoint(IPAddress.Any, port)).ToList()
            : endpoints.ToList();
        // RunIn*Namespace joins a thread of that namespace: waited for on a dedicated thread, not a pool thread.
        var handles = await DedicatedThread.RunAsync("replay listeners", () => inClientNamespace
            ? world.RunInClientNamespace(() => listen.Select(OpenListener).ToList())
            : world.RunInServerNamespace(() => listen.Select(OpenListener).ToList()));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseSpdy(spdy => spdy.ShutdownTimeout = TimeSpan.FromMilliseconds(200));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var handle in handles)
            {
                kestrel.ListenHandle(handle, listen =>
                {
                    if (certificate is not null) listen.UseSpdyTls(certificate, chain);
                    else listen.UseSpdyCleartext();
                });
            }
        });
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        var app = builder.Build();
        app.UseSnapshotReplay(replay);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new ReplayServer(app, handles.Select(h => (h, FdTarget(h) ?? "")).ToList());
    }

    /// <summary>Creates a bound, listening TCP socket (on the calling thread's namespace) and gives up its descriptor.</summary>
    private static ulong OpenListener(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endpoint);
            socket.Listen(512);
            var fd = (ulong)socket.SafeHandle.DangerousGetHandle();
            // Kestrel owns the descriptor from now on (it wraps it in a handle that closes it); this
            // Socket must never close it.
            socket.SafeHandle.SetHandleAsInvalid();
            return fd;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>What descriptor <paramref name="fd"/> refers to ("socket:[INODE]"), or null when it is closed.</summary>
    private static string? FdTarget(ulong fd)
    {
        try { return new FileInfo($"/proc/self/fd/{fd}").LinkTarget; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "close")]
    private static extern int CloseFd(int fd);

    /// <summary>
    /// Kestrel does not close a socket it was given by ListenHandle when it stops (measured: one socket,
    /// and with it the world's whole network namespace, left per listener per trial; the full design ran
    /// out of its 20,000 descriptors after 4,544 trials). Closes each listener that still is the same
    /// socket (same inode), so a descriptor number reused by something else is never touched.
    /// </summary>
    private void CloseListeners()
    {
        foreach (var (fd, target) in listeners)
        {
            if (target.Length > 0 && FdTarget(fd) == target) CloseFd((int)fd);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await app.StopAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
            // The world's teardown closes whatever is left.
        }
        await app.DisposeAsync();
        CloseListeners();
    }
}
