namespace SpdyLab.Client.Http2;

/// <summary>A request to send on an HTTP/2 connection: GET-like, no request body (the page loader's requests).</summary>
public sealed class Http2Request
{
    public required string Method { get; init; }

    public required string Scheme { get; init; }

    public required string Authority { get; init; }

    public required string Path { get; init; }

    /// <summary>Regular headers in the order to send them; names are lowercased on the way out (RFC 9113 §8.2.1).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public Http2RequestPriority Priority { get; init; } = Http2RequestPriority.Lowest;
}

/// <summary>
/// One request's stream (after the runtime's Http2Stream): the response head when it arrives, the body
/// buffered until END_STREAM, and the header-block sizes on the wire (HPACK octets, frame headers not included).
/// </summary>
public sealed class Http2Stream
{
    private readonly TaskCompletionSource _head = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly MemoryStream _body = new();

    internal Http2Stream(Http2Request request) => Request = request;

    public Http2Request Request { get; }

    /// <summary>0 until the writer opens the stream.</summary>
    public int Id { get; internal set; }

    internal int SpdyPriority => Http2Priorities.SpdyPriority(Request.Priority);

    /// <summary>The headers as encoded (pseudo-headers first, names lowercase, cookie as sent before crumbling).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> SentHeaders { get; internal set; } = [];

    public Http2StreamPriority? SentPriority { get; internal set; }

    /// <summary>HPACK octets of the request's header block.</summary>
    public long RequestHeaderBlockBytes { get; internal set; }

    /// <summary>HPACK octets of the response's header blocks (informational, final and trailers), padding excluded.</summary>
    public long ResponseHeaderBlockBytes { get; internal set; }

    /// <summary>DATA frame octets received for this stream: 9-octet frame headers and padding included.</summary>
    public long DataBytesOnWire { get; internal set; }

    public int Status { get; private set; }

    /// <summary>Response fields without pseudo-headers, as received.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ResponseHeaders { get; private set; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Trailers { get; private set; } = [];

    /// <summary>Completes when the final response head has arrived (or fails with the stream's error).</summary>
    public Task ResponseHeadersReceived => _head.Task;

    /// <summary>Completes at END_STREAM (or fails with the stream's error).</summary>
    public Task Completion => _end.Task;

    public byte[] Body => _body.ToArray();

    public long BodyLength => _body.Length;

    internal bool HasHead => _head.Task.IsCompleted;

    internal bool Cancelled { get; set; }

    // Receive flow control (RFC 9113 §6.9): what the server may still send, and what was consumed but not yet given back.
    internal long ReceiveWindow { get; set; }

    internal long UnackedBytes { get; set; }

    internal void SetHead(int status, List<KeyValuePair<string, string>> headers)
    {
        Status = status;
        ResponseHeaders = headers;
        _head.TrySetResult();
    }

    internal void SetTrailers(List<KeyValuePair<string, string>> trailers) => Trailers = trailers;

    internal void AppendData(ReadOnlySpan<byte> data) => _body.Write(data);

    internal void Complete()
    {
        _head.TrySetException(new Http2StreamException(Http2ErrorCode.ProtocolError, $"stream {Id} ended without a response head"));
        _end.TrySetResult();
    }

    internal void Fail(Exception error)
    {
        _head.TrySetException(error);
        _end.TrySetException(error);
        // Observed here so an unawaited Completion never surfaces as an unobserved task exception.
        _ = _head.Task.Exception;
        _ = _end.Task.Exception;
    }
}
