using System.Collections.Concurrent;

namespace SpdyLab.Protocol.Tests.TestPeer;

/// <summary>A session under test wired to a <see cref="SpdyTestPeer"/>; the session's first SETTINGS is consumed.</summary>
internal sealed class Harness : IAsyncDisposable
{
    private Harness(SpdyTestPeer peer, SpdySession session, Task run, ConcurrentQueue<string> trace)
    {
        Peer = peer;
        Session = session;
        Run = run;
        TraceLines = trace;
    }

    public SpdyTestPeer Peer { get; }

    public SpdySession Session { get; }

    public Task Run { get; }

    public ConcurrentQueue<string> TraceLines { get; }

    public PeerFrame? InitialSettings { get; private set; }

    public static async Task<Harness> StartAsync(SpdyVersion version, SpdyRole role, Func<SpdyStream, Task>? onPeerStream = null,
        Func<SpdySessionOptions, SpdySessionOptions>? configure = null, long sessionOutputPause = 65536)
    {
        var peer = new SpdyTestPeer(version, sessionOutputPause);
        var trace = new ConcurrentQueue<string>();
        var options = new SpdySessionOptions { Version = version, Role = role, Trace = trace.Enqueue };
        if (configure is not null)
        {
            options = configure(options);
        }

        var session = new SpdySession(peer.SessionTransport, options, onPeerStream);
        var run = session.RunAsync();
        var harness = new Harness(peer, session, run, trace);
        harness.InitialSettings = await peer.ExpectAsync(f => f.IsControl && f.Type == PeerFrame.Settings, "the session's SETTINGS");
        return harness;
    }

    /// <summary>Options copy with changes (SpdySessionOptions is init-only).</summary>
    public static SpdySessionOptions With(SpdySessionOptions o, int? maxConcurrentStreams = null, int? initialWindowSize = null,
        int? sessionWindowSize = null, int? maxHeaderBlockSize = null, int? maxFrameSize = null, int? maxQueuedControlFrames = null,
        int? dataChunkSize = null, TimeSpan? idleTimeout = null, TimeSpan? closeFlushTimeout = null, bool? sessionWindowFromPeerUpdate = null,
        bool? spdy2WindowUpdates = null) => new()
    {
        Version = o.Version,
        Role = o.Role,
        Trace = o.Trace,
        MaxConcurrentStreams = maxConcurrentStreams ?? o.MaxConcurrentStreams,
        InitialWindowSize = initialWindowSize ?? o.InitialWindowSize,
        SessionWindowSize = sessionWindowSize ?? o.SessionWindowSize,
        MaxHeaderBlockSize = maxHeaderBlockSize ?? o.MaxHeaderBlockSize,
        MaxFrameSize = maxFrameSize ?? o.MaxFrameSize,
        MaxQueuedControlFrames = maxQueuedControlFrames ?? o.MaxQueuedControlFrames,
        DataChunkSize = dataChunkSize ?? o.DataChunkSize,
        IdleTimeout = idleTimeout ?? o.IdleTimeout,
        CloseFlushTimeout = closeFlushTimeout ?? o.CloseFlushTimeout,
        SessionWindowFromPeerUpdate = sessionWindowFromPeerUpdate ?? o.SessionWindowFromPeerUpdate,
        Spdy2WindowUpdates = spdy2WindowUpdates ?? o.Spdy2WindowUpdates,
    };

    /// <summary>Waits for the session's read loop to end (by default within the peer's usual timeout).</summary>
    public async Task WaitClosedAsync(TimeSpan? timeout = null)
    {
        var finished = await Task.WhenAny(Run, Task.Delay(timeout ?? SpdyTestPeer.DefaultTimeout));
        Assert.That(finished, Is.SameAs(Run), "the session did not end in time");
        await Run;
    }

    public async ValueTask DisposeAsync()
    {
        Peer.CloseOutput();
        Peer.StopReading();
        await Task.WhenAny(Run, Task.Delay(TimeSpan.FromSeconds(5)));
        await Session.DisposeAsync();
        await Peer.DisposeAsync();
    }
}
