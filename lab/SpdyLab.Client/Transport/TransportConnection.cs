using System.IO.Pipelines;
using System.Net;

namespace SpdyLab.Client.Transport;

/// <summary>An established TCP (or TLS over TCP) connection, with what was negotiated and how long it took.</summary>
public sealed class TransportConnection : IAsyncDisposable
{
    internal TransportConnection(Stream stream, EndPoint? remote, bool isTls, string? alpnProtocol, TimeSpan connectTime, TimeSpan tlsTime, string? tlsVersion)
    {
        Stream = stream;
        Remote = remote;
        IsTls = isTls;
        AlpnProtocol = alpnProtocol;
        ConnectTime = connectTime;
        TlsTime = tlsTime;
        TlsVersion = tlsVersion;
    }

    /// <summary>The byte stream: a NetworkStream or an SslStream over it.</summary>
    public Stream Stream { get; }

    public EndPoint? Remote { get; }

    public bool IsTls { get; }

    /// <summary>The ALPN id the server chose, or null (cleartext, or no ALPN in the handshake).</summary>
    public string? AlpnProtocol { get; }

    public TimeSpan ConnectTime { get; }

    public TimeSpan TlsTime { get; }

    public string? TlsVersion { get; }

    /// <summary>The stream as an <see cref="IDuplexPipe"/> for the SPDY engine.</summary>
    public IDuplexPipe AsDuplexPipe() => new StreamDuplexPipe(Stream);

    public ValueTask DisposeAsync() => Stream.DisposeAsync();

    private sealed class StreamDuplexPipe(Stream stream) : IDuplexPipe
    {
        public PipeReader Input { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));

        public PipeWriter Output { get; } = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }
}
