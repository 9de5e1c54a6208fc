using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SpdyLab.Lab.Commands;
using SpdyLab.Protocol;
using SpdyLab.Protocol.Framing;

namespace SpdyLab.Lab.Tests.Commands;

/// <summary>
/// <c>spdylab serve --root</c> (static files) against traversal in every spelling, over HTTP/1.1 (Kestrel
/// removes dot segments) and over SPDY/3.1 (our server hands :path to the app unescaped, dot segments and
/// all): a file beside the root must never be served, files in the root still are.
/// </summary>
[NonParallelizable]
public class ServeRootTraversalTests
{
    const string Marker = "SPDYLAB-SECRET-MARKER";
    string _folder = "";
    ServeCommand.RunningServer _server = null!;
    Uri _plain = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _folder = Directory.CreateTempSubdirectory("spdylab-serve-root-").FullName;
        var root = Path.Combine(_folder, "root");
        Directory.CreateDirectory(Path.Combine(root, "sub"));
        File.WriteAllText(Path.Combine(root, "index.html"), "<html>index</html>");
        File.WriteAllText(Path.Combine(root, "sub", "a.txt"), "a");
        File.WriteAllText(Path.Combine(_folder, "secret.txt"), Marker);
        _server = await ServeCommand.StartAsync(new ServeCommand.ServeSettings
        {
            Root = root,
            Plain = [new IPEndPoint(IPAddress.Loopback, 0)],
            CertificateDirectory = Path.Combine(_folder, "ca"),
            LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
        }, CancellationToken.None);
        _plain = _server.PlainUris.Single();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    static readonly string[] Targets =
    [
        "/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/%2e%2e/secret.txt", "/..%2fsecret.txt",
        "/sub/..%2f..%2fsecret.txt", "/%252e%252e/secret.txt", "/..\\secret.txt", "/..%5csecret.txt", "/sub%5c..%5c..%5csecret.txt",
        "/%00../secret.txt", "/.%2e/secret.txt", "//../secret.txt",
    ];

    [TestCaseSource(nameof(Targets)), CancelAfter(20_000)]
    public async Task Http1_Traversal_NeverServesAFileOutsideTheRoot(string target, CancellationToken cancellationToken)
    {
        var (status, body) = await Http1Async(target, cancellationToken);

        Assert.That(status, Is.InRange(400, 499), $"{target}: {status}");
        Assert.That(body, Does.Not.Contain(Marker));
        Assert.That((await Http1Async("/sub/a.txt", cancellationToken)).Status, Is.EqualTo(200));
    }

    [TestCaseSource(nameof(Targets)), CancelAfter(20_000)]
    public async Task Spdy_Traversal_NeverServesAFileOutsideTheRoot(string target, CancellationToken cancellationToken)
    {
        var (status, body) = await SpdyAsync(target, cancellationToken);

        Assert.That(status, Is.InRange(400, 499), $"{target}: {status}");
        Assert.That(body, Does.Not.Contain(Marker));
        Assert.That((await SpdyAsync("/sub/a.txt", cancellationToken)).Status, Is.EqualTo(200));
    }

    /// <summary>One GET with the target written as given; the answer read until the server closes.</summary>
    async Task<(int Status, string Body)> Http1Async(string target, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _plain.Port), cancellationToken);
        await socket.SendAsync(Encoding.Latin1.GetBytes($"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"), cancellationToken);
        var received = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, cancellationToken)) > 0)
        {
            received.Write(buffer, 0, read);
        }
        var text = Encoding.Latin1.GetString(received.ToArray());
        return (int.Parse(text.AsSpan(9, 3)), text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }

    /// <summary>One SYN_STREAM with :path as given (compressed by the codec, not validated), on its own session.</summary>
    async Task<(int Status, string Body)> SpdyAsync(string path, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _plain.Port), cancellationToken);
        using var writer = new SpdyFrameWriter(SpdyProtocolProfile.Spdy31);
        using var reader = new SpdyFrameReader(SpdyProtocolProfile.Spdy31);
        var output = new ArrayBufferWriter<byte>();
        writer.WriteSynStream(output, 1, 0, 0, SpdyFlags.Fin, new HeaderList()
            .Add(":method", "GET").Add(":path", path).Add(":version", "HTTP/1.1").Add(":host", "localhost").Add(":scheme", "http"));
        await socket.SendAsync(output.WrittenMemory, cancellationToken);
        var pending = Array.Empty<byte>();
        var receive = new byte[16384];
        var status = 0;
        var body = new StringBuilder();
        while (true)
        {
            var sequence = new ReadOnlySequence<byte>(pending);
            if (reader.TryReadFrame(ref sequence, out var frame))
            {
                var fin = false;
                switch (frame)
                {
                    case SynReplyFrame reply when reply.Id == 1:
                        status = int.Parse(reply.Headers.Get(":status")!.AsSpan(0, 3));
                        fin = (reply.Flags & SpdyFlags.Fin) != 0;
                        break;
                    case DataFrame data when data.Id == 1:
                        body.Append(Encoding.Latin1.GetString(data.Data.ToArray()));
                        fin = (data.Flags & SpdyFlags.Fin) != 0;
                        break;
                    case RstStreamFrame or GoAwayFrame:
                        return (status == 0 ? 400 : status, body.ToString()); // refused: counts as a 4xx here
                }
                pending = sequence.ToArray();
                if (fin)
                {
                    return (status, body.ToString());
                }
                continue;
            }
            var read = await socket.ReceiveAsync(receive, cancellationToken);
            if (read == 0)
            {
                return (status, body.ToString());
            }
            pending = [.. pending, .. receive.AsSpan(0, read)];
        }
    }
}
