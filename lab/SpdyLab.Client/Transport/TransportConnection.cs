using System.Buffers;
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

    private IDuplexPipe? _pipe;

    /// <summary>
    /// The stream as an <see cref="IDuplexPipe"/> for the SPDY engine (one per connection). Its output goes through
    /// one sender task (<see cref="CoalescingDuplexPipe"/>); <c>SPDYLAB_DIRECT_SEND=1</c> in the environment gives the
    /// engine a PipeWriter straight over the stream instead (every flush a send on the flushing thread), kept as a
    /// switch for A/B measurements of the two (docs/benchmarks.md, "Client hot path, session 5").
    /// </summary>
    public IDuplexPipe AsDuplexPipe()
    {
        if (_pipe is not null)
        {
            throw new InvalidOperationException("the connection already has its duplex pipe");
        }

        _pipe = Environment.GetEnvironmentVariable("SPDYLAB_DIRECT_SEND") == "1" ? new DirectDuplexPipe(Stream) : new CoalescingDuplexPipe(Stream);
        return _pipe;
    }

    public async ValueTask DisposeAsync()
    {
        if (_pipe is CoalescingDuplexPipe pipe)
        {
            // What the engine wrote last (a GOAWAY) may still be on its way to the socket: let the sender finish.
            await pipe.CompleteAndDrainAsync(TimeSpan.FromSeconds(1));
        }

        await Stream.DisposeAsync();
    }

    /// <summary>Reader and writer straight over the stream: every flush of the engine is a send on its thread.</summary>
    private sealed class DirectDuplexPipe(Stream stream) : IDuplexPipe
    {
        public PipeReader Input { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));

        public PipeWriter Output { get; } = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    /// <summary>
    /// The engine's output goes into a pipe, and one sender task writes what has collected to the stream: while a
    /// send is in progress the session writer's next flushes only add to the pipe, so under load many small flushes
    /// become one send (as Kestrel's socket transport does), where a PipeWriter over the stream made every flush a
    /// send on the flushing thread. Back-pressure stays: the engine's flush waits once 1 MB is unsent. A failed send
    /// completes the pipe's reader with the error, which the engine's next flush throws.
    /// </summary>
    private sealed class CoalescingDuplexPipe : IDuplexPipe
    {
        private const int GatherSize = 64 * 1024;

        private readonly Stream _stream;
        private readonly Pipe _output = new(new PipeOptions(
            pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024, minimumSegmentSize: 16 * 1024, useSynchronizationContext: false));

        public CoalescingDuplexPipe(Stream stream)
        {
            _stream = stream;
            Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
            Sender = Task.Run(SendLoopAsync);
        }

        public PipeReader Input { get; }

        public PipeWriter Output => _output.Writer;

        private Task Sender { get; }

        public async Task CompleteAndDrainAsync(TimeSpan bound)
        {
            // The engine completes the output when its session ends; completing again is harmless.
            await _output.Writer.CompleteAsync();
            try
            {
                await Sender.WaitAsync(bound);
            }
            catch (TimeoutException)
            {
                _output.Reader.CancelPendingRead();
            }
        }

        private async Task SendLoopAsync()
        {
            var reader = _output.Reader;
            var gather = ArrayPool<byte>.Shared.Rent(GatherSize);
            try
            {
                while (true)
                {
                    var result = await reader.ReadAsync();
                    var buffer = result.Buffer;
                    while (!buffer.IsEmpty)
                    {
                        if (buffer.IsSingleSegment)
                        {
                            await _stream.WriteAsync(buffer.First);
                            break;
                        }

                        // Several pipe segments: one write of up to 64 KB rather than one per segment.
                        var length = (int)Math.Min(buffer.Length, gather.Length);
                        buffer.Slice(0, length).CopyTo(gather);
                        await _stream.WriteAsync(gather.AsMemory(0, length));
                        buffer = buffer.Slice(length);
                    }

                    reader.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted || result.IsCanceled)
                    {
                        break;
                    }
                }

                await reader.CompleteAsync();
            }
            catch (Exception e)
            {
                // The engine's next flush throws this (its write loop ends the session on an IOException).
                await reader.CompleteAsync(e is IOException or ObjectDisposedException ? e : new IOException($"send failed: {e.Message}", e));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(gather);
            }
        }
    }
}
