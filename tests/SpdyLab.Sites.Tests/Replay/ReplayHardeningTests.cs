using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SpdyLab.Protocol;
using SpdyLab.Server.Hosting;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Tests.Replay;

/// <summary>
/// Hostile requests against the snapshot replay as <c>spdylab serve --site</c> runs it: one cleartext
/// port, HTTP/1.1 (Kestrel) and SPDY/3.1 (our server) on it. Path traversal in every spelling, absurd
/// Host/:host values, huge request targets, header counts and sizes. Each gets a 4xx, a RST_STREAM or a
/// closed connection within <see cref="Bound"/>; nothing but the snapshot's own bodies is ever served
/// (files beside the snapshot hold a marker that must never come back); no error is logged (an
/// exception escaping the middleware would be); and the server, and over SPDY the same session when it
/// survives, keeps serving.
/// </summary>
[NonParallelizable]
public class ReplayHardeningTests
{
    static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);
    const string Marker = "SPDYLAB-SECRET-MARKER";
    const string Stylesheet = "body{background:url(/bg.gif)}";

    string _folder = "";
    Snapshot _snapshot = null!;
    WebApplication _app = null!;
    Uri _plain = null!;
    readonly ErrorLog _errors = new();

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _folder = TestSnapshots.TempFolder();
        _snapshot = TestSnapshots.SmallPage().WriteTo(Path.Combine(_folder, "site", "small"));
        // Files a traversal would reach: beside the snapshot, above it, and inside it.
        File.WriteAllText(Path.Combine(_folder, "secret.txt"), Marker);
        File.WriteAllText(Path.Combine(_folder, "site", "secret.txt"), Marker);
        File.WriteAllText(Path.Combine(_snapshot.Directory!, "secret.txt"), Marker);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = _folder });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(_errors);
        builder.WebHost.ListenSpdy([], [new IPEndPoint(IPAddress.Loopback, 0)], certificate: null);
        _app = builder.Build();
        _app.UseSnapshotReplay(new SnapshotReplayOptions { Snapshot = _snapshot, Mode = ReplayMode.Push });
        await _app.StartAsync();
        _plain = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [SetUp]
    public void ClearErrors() => _errors.Entries.Clear();

    /// <summary>Path and query spellings that try to leave the snapshot, or name its files.</summary>
    public static IEnumerable<string> TraversalTargets()
    {
        var body = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("var a=1;")));
        return
        [
            "/../../../secret.txt",
            "/../../../../../../etc/passwd",
            "/%2e%2e/%2e%2e/%2e%2e/secret.txt",
            "/%252e%252e/%252e%252e/secret.txt",
            "/..%2f..%2f..%2fsecret.txt",
            "/..%252f..%252fsecret.txt",
            "/..\\..\\..\\secret.txt",
            "/..%5c..%5c..%5csecret.txt",
            "/s.css/../../../secret.txt",
            "/secret.txt",
            "/manifest.json",
            "/bodies/" + body,
            "/bodies/sha256-" + body,
            "/s.css%00.txt",
            "/%00/../secret.txt",
            "/%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt",
            "//etc/passwd",
        ];
    }

    [TestCaseSource(nameof(TraversalTargets)), CancelAfter(20000)]
    public async Task Http1_TraversalTarget_4xxAndNothingOutsideTheSnapshot(string target, CancellationToken cancellationToken)
    {
        var answer = await RawHttp1.SendAsync(_plain, RawHttp1.Get(target, "www.example.com"), Bound, cancellationToken);

        AssertRefused(answer);
        await AssertStillServedAsync(cancellationToken);
    }

    [TestCaseSource(nameof(TraversalTargets)), CancelAfter(20000)]
    public async Task Spdy_TraversalPath_4xxAndNothingOutsideTheSnapshot(string target, CancellationToken cancellationToken)
    {
        using var peer = await RawSpdy.ConnectAsync(_plain, cancellationToken);
        var answer = await peer.SendAsync(RawSpdy.Request("www.example.com", target), Bound, cancellationToken);

        AssertRefused(answer);
        await AssertSessionServesAsync(peer, answer, cancellationToken);
    }

    [TestCase("/a\0b")]
    [TestCase("/..\0/secret.txt")]
    [TestCase("/\u0001\u007f")]
    [TestCase("/\u00e9t\u00e9")]
    [CancelAfter(20000)]
    public async Task Http1_ControlOrNonAsciiBytesInTarget_4xx(string target, CancellationToken cancellationToken)
    {
        var answer = await RawHttp1.SendAsync(_plain, RawHttp1.Get(target, "www.example.com"), Bound, cancellationToken);

        AssertRefused(answer);
        await AssertStillServedAsync(cancellationToken);
    }

    [TestCase("/a\0b")] // NUL splits a SPDY header value into two values
    [TestCase("/..\0/secret.txt")]
    [TestCase("/\u0001\u007f")]
    [TestCase("/\u00e9t\u00e9")]
    [TestCase("etc/passwd")] // no leading slash
    [TestCase("*")]
    [TestCase("")]
    [TestCase("http://www.example.com/../secret.txt")]
    [CancelAfter(20000)]
    public async Task Spdy_ControlNonAsciiOrRelativePath_4xx(string path, CancellationToken cancellationToken)
    {
        using var peer = await RawSpdy.ConnectAsync(_plain, cancellationToken);
        var answer = await peer.SendAsync(RawSpdy.Request("www.example.com", path), Bound, cancellationToken);

        AssertRefused(answer);
        await AssertSessionServesAsync(peer, answer, cancellationToken);
    }

    /// <summary>Host values no browser sends. Kestrel validates Host for HTTP/1.1; over SPDY :host reaches the replay as it came.</summary>
    public static IEnumerable<TestCaseData> AbsurdHosts() =>
    [
        new TestCaseData(new string('a', 20_000)).SetName("{m}(20000 letters)"),
        new TestCaseData("www.example.com" + string.Concat(Enumerable.Repeat(":1", 20_000))).SetName("{m}(20000 ports)"),
        new TestCaseData(new string(':', 30_000)).SetName("{m}(30000 colons)"),
        new TestCaseData("www.example.com:99999999999999999999").SetName("{m}(port overflow)"),
        new TestCaseData("www.example.com:-1").SetName("{m}(negative port)"),
        new TestCaseData("../../secret.txt").SetName("{m}(path as host)"),
        new TestCaseData("www.example.com/../..").SetName("{m}(host with path)"),
        new TestCaseData("[::1").SetName("{m}(unclosed IPv6)"),
        new TestCaseData("www.example.com\u0001\u007f").SetName("{m}(control characters)"),
        new TestCaseData("www.\u00e9xample.com").SetName("{m}(non-ASCII)"),
        new TestCaseData("user@www.example.com").SetName("{m}(userinfo)"),
    ];

    [TestCaseSource(nameof(AbsurdHosts)), CancelAfter(20000)]
    public async Task Http1_AbsurdHost_4xx(string host, CancellationToken cancellationToken)
    {
        var answer = await RawHttp1.SendAsync(_plain, RawHttp1.Get("/s.css", host), Bound, cancellationToken);

        AssertRefused(answer, orOwnBody: Stylesheet);
        await AssertStillServedAsync(cancellationToken);
    }

    [TestCaseSource(nameof(AbsurdHosts)), CancelAfter(20000)]
    public async Task Spdy_AbsurdHost_4xx(string host, CancellationToken cancellationToken)
    {
        using var peer = await RawSpdy.ConnectAsync(_plain, cancellationToken);
        var answer = await peer.SendAsync(RawSpdy.Request(host, "/s.css"), Bound, cancellationToken);

        AssertRefused(answer, orOwnBody: Stylesheet);
        await AssertSessionServesAsync(peer, answer, cancellationToken);
    }

    [Test, CancelAfter(20000)]
    public async Task Http1_MissingOrRepeatedHost_400(CancellationToken cancellationToken)
    {
        var missing = await RawHttp1.SendAsync(_plain, RawHttp1.Get("/s.css", host: null), Bound, cancellationToken);
        var repeated = await RawHttp1.SendAsync(_plain, RawHttp1.Get("/s.css", "www.example.com", ["Host: img.example.net"]), Bound, cancellationToken);

        Assert.That((missing.Status, repeated.Status), Is.EqualTo(((int?)400, (int?)400)), $"{missing}; {repeated}");
        AssertNoErrorsLogged();
    }

    [Test, CancelAfter(20000)]
    public async Task Spdy_MissingHost_400(CancellationToken cancellationToken)
    {
        using var peer = await RawSpdy.ConnectAsync(_plain, cancellationToken);
        var headers = RawSpdy.Request("www.example.com", "/s.css");
        headers.Remove(":host");
        var answer = await peer.SendAsync(headers, Bound, cancellationToken);

        Assert.That(answer.Status, Is.EqualTo(400), answer.ToString());
        await AssertSessionServesAsync(peer, answer, cancellationToken);
    }

    [Test, CancelAfter(20000)]
    public async Task Http1_HugeTarget_414(CancellationToken cancellationToken)
    {
        var answer = await RawHttp1.SendAsync(_plain, RawHttp1.Get("/" + new string('a', 100_000), "www.example.com"), Bound, cancellationToken);

        Assert.That(answer.Status is 414 || answer.Status is null && answer.Closed, Is.True, answer.ToString());
        await AssertStillServedAsync(cancellationToken);
    }

    [Test, CancelAfter(20000)]
    public async Task Spdy_HugePath_404WithShortEcho(CancellationToken cancellationToken)
    {
        using var peer = await RawSpdy.ConnectAsync(_plain, cancellationToken);
        var answer = await peer.SendAsync(RawSpdy.Request("www.example.com", "/" + new string('a', 200_000) + "?" + string.Join('&', Enumerable.Range(0, 5000).Select(i => $"p{i}=1"))), Bound, cancellationToken);

        Assert.That(answer.Status, Is.EqualTo(404), answer.ToString());
        Assert.That(answer.Body.Length, Is.LessThan(1000), "the 404 echoes a shortened request, not 200 KB");
        await AssertSessionServesAsync(peer, answer, cancellationToken);
    }

    [TestCase(2_000, 10)]
    [TestCase(1, 200_000)]
    [CancelAfter(20000)]
    public async Task Http1_ManyOrHugeHeaders_431(int count, int size, CancellationToken cancellationToken)
    {
        var lines = Enumerable.Range(0, count).Select(i => $"X-H{i}: {new string('v', size)}");
        var answer = await RawHttp1.SendAsync(_plain, RawHttp1.Get("/s.css", "www.example.com", lines), Bound, cancellationToken);

        Assert.That(answer.Status is 431 || answer.Status is null && answer.Closed, Is.True, answer.ToString());
        await AssertStillServedAsync(cancellationToken);
    }

    [TestCase(10_000, 1)]   // ~150 KB of header block, under the 256 KiB header-block limit: served, the headers ignored
    [TestCase(1, 250_000)]
    [CancelAfter(20000)]
    public async Task Spdy_ManyOrHugeHeadersUnderTheBlockLimit_ServedFromTheSnapshot(int count, int size, CancellationToken cancellationToken)
    {
        using var peer = await RawSpdy.ConnectAsync(_plain, cancellationToken);
        var headers = RawSpdy.Request("www.example.com", "/s.css");
        for (var i = 0; i < count; i++)
        {
            headers.Add($"x-h{i}", new string('v', size));
        }
        var answer = await peer.SendAsync(headers, Bound, cancellationToken);

        Assert.That(answer.Status, Is.EqualTo(200), answer.ToString());
        Assert.That(answer.Body, Is.EqualTo(Stylesheet));
        AssertNoErrorsLogged();
    }

    [Test, CancelAfter(20000)]
    public async Task Spdy_HeaderBlockPastTheLimit_RefusedAndNothingServed(CancellationToken cancellationToken)
    {
        using var peer = await RawSpdy.ConnectAsync(_plain, cancellationToken);
        var headers = RawSpdy.Request("www.example.com", "/s.css");
        for (var i = 0; i < 40; i++)
        {
            headers.Add($"x-h{i}", new string('v', 10_000));
        }
        var answer = await peer.SendAsync(headers, Bound, cancellationToken);

        // The server's inflater stops at 256 KiB. The zlib context is the session's, so this is a session
        // error: RST_STREAM FRAME_TOO_LARGE for the stream, then the session ends (GOAWAY, close).
        AssertRefused(answer);
        Assert.That(answer.Status, Is.Null, answer.ToString());
        var after = await peer.SendAsync(RawSpdy.Request("www.example.com", "/s.css"), Bound, cancellationToken);
        Assert.That(after.Closed && after.Status is null, Is.True, $"the session ends: {after}");
        await AssertStillServedAsync(cancellationToken);
    }

    /// <summary>
    /// A 4xx (or a reset or a close), within the bound, with no marker from files beside the snapshot and no
    /// error logged. With <paramref name="orOwnBody"/>, the snapshot's own resource is a fine answer too
    /// (a Host with a numeric port falls back to the bare name, as for a lab server on a high port).
    /// </summary>
    void AssertRefused(HostileAnswer answer, string? orOwnBody = null)
    {
        TestContext.Out.WriteLine($"answer: {answer}");
        Assert.That(answer.How, Does.Not.Contain("no answer"), answer.ToString());
        Assert.That(answer.Status is >= 400 and < 500 || answer.Status is null && (answer.Closed || answer.How.Contains("RST_STREAM"))
            || orOwnBody is not null && answer.Status == 200 && answer.Body == orOwnBody, Is.True,
            $"expected a 4xx, a reset or a close; got {answer}");
        Assert.That(answer.Body, Does.Not.Contain(Marker).And.Not.Contain("root:").And.Not.Contain("spdylab-snapshot"));
        AssertNoErrorsLogged();
    }

    void AssertNoErrorsLogged() =>
        Assert.That(_errors.Entries, Is.Empty, "errors logged (an exception escaped): " + string.Join(" | ", _errors.Entries));

    /// <summary>Another client still gets the snapshot's stylesheet over HTTP/1.1 and SPDY.</summary>
    async Task AssertStillServedAsync(CancellationToken cancellationToken)
    {
        var http = await RawHttp1.SendAsync(_plain, RawHttp1.Get("/s.css", "www.example.com"), Bound, cancellationToken);
        Assert.That((http.Status, http.Body), Is.EqualTo(((int?)200, Stylesheet)), "HTTP/1.1 still served");
        using var peer = await RawSpdy.ConnectAsync(_plain, cancellationToken);
        var spdy = await peer.SendAsync(RawSpdy.Request("www.example.com", "/s.css"), Bound, cancellationToken);
        Assert.That((spdy.Status, spdy.Body), Is.EqualTo(((int?)200, Stylesheet)), "SPDY still served");
    }

    /// <summary>The same session serves a good request when it survived (stream errors leave it open), else a new one does.</summary>
    async Task AssertSessionServesAsync(RawSpdy peer, HostileAnswer answer, CancellationToken cancellationToken)
    {
        if (answer.Closed)
        {
            await AssertStillServedAsync(cancellationToken);
            return;
        }
        var next = await peer.SendAsync(RawSpdy.Request("www.example.com", "/s.css"), Bound, cancellationToken);
        Assert.That((next.Status, next.Body), Is.EqualTo(((int?)200, Stylesheet)), "the session serves on");
    }

    /// <summary>Collects log entries at Error and above (Kestrel and the SPDY server log escaped exceptions there).</summary>
    sealed class ErrorLog : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<string> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Entries.Enqueue($"{logLevel}: {formatter(state, exception)} {exception?.GetType().Name}: {exception?.Message}");
            }
        }

        public void Dispose()
        {
        }
    }
}
