using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SpdyLab.Protocol;

namespace SpdyLab.Server.Tests;

/// <summary>A small SPDY client for tests, built on the engine's client role (TCP or TLS with ALPN).</summary>
internal sealed class SpdyTestClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private readonly List<(SpdyStream Stream, Task<byte[]> Body)> _pushes = [];

    private SpdyTestClient(TcpClient tcp, Stream stream, SpdyVersion version, string host)
    {
        _tcp = tcp;
        _stream = stream;
        Host = host;
        var pipe = new DuplexStreamPipe(stream);
        Session = new SpdySession(pipe, new SpdySessionOptions { Version = version, Role = SpdyRole.Client }, pushed =>
        {
            lock (_pushes)
            {
                _pushes.Add((pushed, ReadAllAsync(pushed.Input)));
            }
            return Task.CompletedTask;
        });
        _run = Session.RunAsync(_stop.Token);
    }

    public SpdySession Session { get; }

    public string Host { get; }

    public IReadOnlyList<(SpdyStream Stream, Task<byte[]> Body)> Pushes
    {
        get { lock (_pushes) { return [.. _pushes]; } }
    }

    public static async Task<SpdyTestClient> ConnectAsync(Uri server, SpdyVersion version, bool tls, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port, cancellationToken);
        Stream stream = tcp.GetStream();
        if (tls)
        {
            var ssl = new SslStream(stream);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
                ApplicationProtocols = [new SslApplicationProtocol(SpdyProtocolProfile.For(version).AlpnId)],
            }, cancellationToken);
            if (ssl.NegotiatedApplicationProtocol.ToString() != SpdyProtocolProfile.For(version).AlpnId)
            {
                throw new InvalidOperationException($"ALPN gave {ssl.NegotiatedApplicationProtocol}");
            }
            stream = ssl;
        }
        return new SpdyTestClient(tcp, stream, version, $"localhost:{server.Port}");
    }

    /// <summary>Sends a request and reads the whole response.</summary>
    public async Task<SpdyTestResponse> SendAsync(string method, string path, IEnumerable<KeyValuePair<string, string>>? headers = null,
        byte[]? body = null, int priority = 0, CancellationToken cancellationToken = default)
    {
        var profile = Session.Profile;
        var list = profile.CreateRequestHeaders(new SpdyRequestHead(method, "https", Host, path), headers);
        var stream = await Session.OpenStreamAsync(list, priority, endStream: body is null, cancellationToken);
        if (body is not null)
        {
            await stream.WriteDataAsync(body, endStream: true, cancellationToken);
        }
        var responseHeaders = await stream.ResponseHeadersAsync.WaitAsync(cancellationToken);
        var bytes = await ReadAllAsync(stream.Input).WaitAsync(cancellationToken);
        var head = profile.ReadResponse(responseHeaders)!;
        return new SpdyTestResponse(head.Status, responseHeaders, bytes, stream);
    }

    public static async Task<byte[]> ReadAllAsync(PipeReader input)
    {
        var output = new MemoryStream();
        while (true)
        {
            var result = await input.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                output.Write(segment.Span);
            }
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }
        await input.CompleteAsync();
        return output.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            await _run.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch
        {
            // the session ended with the cancellation
        }
        await Session.DisposeAsync();
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }

    private sealed class DuplexStreamPipe(Stream stream) : IDuplexPipe
    {
        public PipeReader Input { get; } = PipeReader.Create(stream);

        public PipeWriter Output { get; } = PipeWriter.Create(stream);
    }
}

internal sealed record SpdyTestResponse(int Status, HeaderList Headers, byte[] Body, SpdyStream Stream)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Body);
}
