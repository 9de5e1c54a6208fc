using System.Buffers;
using System.Globalization;
using System.Text;

namespace SpdyLab.Client.PageLoad;

/// <summary>
/// A small HTTP/1.1 client connection (RFC 9112) over an opened stream: one request at a time
/// (no pipelining), persistent unless the server says close or the body runs to the end of the
/// connection. Written here rather than borrowed from HttpClient so every header and body byte and
/// every phase (send, wait, receive) is measured exactly.
/// </summary>
public sealed class Http11Connection(OpenedConnection connection, Func<double> clock) : IAsyncDisposable
{
    // Hop-by-hop and framing headers: the connection decides them, not the recording.
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "TE", "Content-Length",
    };

    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    public ConnectionRecord Record => connection.Record;

    /// <summary>False once the server closed or asked to close; the pool then opens another connection.</summary>
    public bool Reusable { get; private set; } = true;

    /// <summary>Sends the request for <paramref name="load"/> and reads the whole response into it.</summary>
    public async Task ExchangeAsync(ResourceLoad load, Action<ResourceLoad> onHeaders, CancellationToken cancellationToken)
    {
        var resource = load.Resource;
        var host = resource.RequestHeaders.FirstOrDefault(h => string.Equals(h.Key, "Host", StringComparison.OrdinalIgnoreCase)).Value
            ?? resource.Authority;
        var headers = new List<KeyValuePair<string, string>> { new("Host", host) };
        headers.AddRange(resource.RequestHeaders.Where(h => !NotForwarded.Contains(h.Key)));
        headers.Add(new("Connection", "keep-alive"));
        load.RequestHeaders = headers;

        var head = new StringBuilder();
        head.Append(resource.Method).Append(' ').Append(resource.PathAndQuery).Append(" HTTP/1.1\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        head.Append("\r\n");
        var bytes = Encoding.Latin1.GetBytes(head.ToString());
        load.RequestHeaderBytes = bytes.Length;
        load.RequestHeaderBytesRaw = bytes.Length;
        load.ConnectionId = Record.Id;
        load.ServerAddress = Record.Remote;
        Record.Requests++;

        load.SendStart = clock();
        await connection.Stream.WriteAsync(bytes, cancellationToken);
        await connection.Stream.FlushAsync(cancellationToken);
        load.SendEnd = clock();

        await ReadResponseAsync(load, onHeaders, cancellationToken);
        load.End = clock();
    }

    private async Task ReadResponseAsync(ResourceLoad load, Action<ResourceLoad> onHeaders, CancellationToken cancellationToken)
    {
        while (true)
        {
            var headerBytes = 0L;
            var statusLine = await ReadLineAsync(load, cancellationToken);
            if (load.FirstByte < 0)
            {
                load.FirstByte = clock(); // the bytes were already buffered
            }

            headerBytes += statusLine.Length + 2;
            var parts = statusLine.Split(' ', 3);
            if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
            {
                Reusable = false;
                throw new PageLoadException($"{load.RequestUrl}: not an HTTP/1.x status line: '{statusLine}'");
            }

            var headers = new List<KeyValuePair<string, string>>();
            while (true)
            {
                var line = await ReadLineAsync(load, cancellationToken);
                headerBytes += line.Length + 2;
                if (line.Length == 0)
                {
                    break;
                }

                var colon = line.IndexOf(':');
                if (colon > 0)
                {
                    headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
                }
            }

            load.ResponseHeaderBytes += headerBytes;
            load.ResponseHeaderBytesRaw += headerBytes;
            if (status is >= 100 and < 200 && status != 101)
            {
                continue; // interim response (100 Continue): the real one follows
            }

            load.Status = status;
            load.StatusText = parts.Length > 2 ? parts[2] : string.Empty;
            load.HttpVersion = parts[0];
            load.ResponseHeaders = headers;
            var connectionHeader = load.GetResponseHeader("Connection");
            if ((connectionHeader is not null && connectionHeader.Contains("close", StringComparison.OrdinalIgnoreCase))
                || (parts[0] == "HTTP/1.0" && connectionHeader?.Contains("keep-alive", StringComparison.OrdinalIgnoreCase) != true))
            {
                Reusable = false;
            }

            onHeaders(load);
            await ReadBodyAsync(load, status, cancellationToken);
            return;
        }
    }

    private async Task ReadBodyAsync(ResourceLoad load, int status, CancellationToken cancellationToken)
    {
        if (load.Resource.Method == "HEAD" || status is 204 or 304)
        {
            return;
        }

        var body = new MemoryStream();
        var transferEncoding = load.GetResponseHeader("Transfer-Encoding");
        if (transferEncoding is not null && transferEncoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var wire = 0L;
            while (true)
            {
                var sizeLine = await ReadLineAsync(load, cancellationToken);
                wire += sizeLine.Length + 2;
                var semicolon = sizeLine.IndexOf(';');
                var sizeText = (semicolon < 0 ? sizeLine : sizeLine[..semicolon]).Trim();
                if (!long.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
                {
                    Reusable = false;
                    throw new PageLoadException($"{load.RequestUrl}: bad chunk size line '{sizeLine}'");
                }

                if (size == 0)
                {
                    // Trailers, then the blank line.
                    while ((await ReadLineAsync(load, cancellationToken)) is { Length: > 0 } trailer)
                    {
                        wire += trailer.Length + 2;
                    }

                    wire += 2;
                    break;
                }

                await CopyAsync(body, size, load, cancellationToken);
                var end = await ReadLineAsync(load, cancellationToken);
                wire += size + end.Length + 2;
            }

            load.ResponseBodyWireBytes = wire;
        }
        else if (load.GetResponseHeader("Content-Length") is { } lengthText
            && long.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            await CopyAsync(body, length, load, cancellationToken);
            load.ResponseBodyWireBytes = length;
        }
        else
        {
            // No framing: the body runs to the end of the connection.
            Reusable = false;
            await CopyAsync(body, long.MaxValue, load, cancellationToken);
            load.ResponseBodyWireBytes = body.Length;
        }

        load.Body = body.ToArray();
    }

    /// <summary>Copies <paramref name="count"/> body bytes; long.MaxValue means up to the end of the connection.</summary>
    private async Task CopyAsync(MemoryStream body, long count, ResourceLoad load, CancellationToken cancellationToken)
    {
        var toEnd = count == long.MaxValue;
        while (count > 0)
        {
            if (_start == _end && !await FillAsync(load, cancellationToken))
            {
                if (toEnd)
                {
                    return;
                }

                Reusable = false;
                throw new PageLoadException($"{load.RequestUrl}: connection closed with {count} body bytes still expected");
            }

            var n = (int)Math.Min(count, _end - _start);
            body.Write(_buffer, _start, n);
            _start += n;
            if (!toEnd)
            {
                count -= n;
            }
        }
    }

    private async Task<string> ReadLineAsync(ResourceLoad load, CancellationToken cancellationToken)
    {
        var line = new ArrayBufferWriter<byte>();
        while (true)
        {
            if (_start == _end && !await FillAsync(load, cancellationToken))
            {
                Reusable = false;
                throw new PageLoadException($"{load.RequestUrl}: connection closed in the middle of the response head");
            }

            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline < 0)
            {
                line.Write(_buffer.AsSpan(_start, _end - _start));
                _start = _end;
                if (line.WrittenCount > 64 * 1024)
                {
                    Reusable = false;
                    throw new PageLoadException($"{load.RequestUrl}: response header line longer than 64 KB");
                }

                continue;
            }

            line.Write(_buffer.AsSpan(_start, newline - _start));
            _start = newline + 1;
            var span = line.WrittenSpan;
            if (span.Length > 0 && span[^1] == '\r')
            {
                span = span[..^1];
            }

            return Encoding.Latin1.GetString(span);
        }
    }

    private async Task<bool> FillAsync(ResourceLoad load, CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await connection.Stream.ReadAsync(_buffer, cancellationToken);
        if (_end > 0 && load.FirstByte < 0)
        {
            load.FirstByte = clock();
        }

        return _end > 0;
    }

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
