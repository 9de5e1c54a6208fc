using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Import;

/// <summary>Turns a request/response pair from a wire-format archive (Mahimahi, WPR) into an exchange:
/// bodies are as they crossed the wire, so only chunked framing is undone.</summary>
public static class ArchiveExchange
{
    public static (ExchangeRecord Exchange, byte[] Body) From(HttpMessage request, HttpMessage response, string scheme, string? hostHint, string where)
    {
        var requestLine = request.StartLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (requestLine.Length < 2)
        {
            throw new SnapshotFormatException($"{where}: request line '{request.StartLine}' is not 'METHOD TARGET VERSION'");
        }
        var target = requestLine[1];
        string host;
        string path;
        if (ImportSupport.SplitUrl(target) is { } absolute)
        {
            (scheme, host, path) = absolute;
        }
        else
        {
            host = request.Header("Host") ?? hostHint ?? throw new SnapshotFormatException($"{where}: request has no Host header");
            host = Replay.ExchangeMatcher.NormalizeHost(host, scheme);
            path = target.StartsWith('/') ? target : "/" + target;
        }
        var statusLine = response.StartLine.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (statusLine.Length < 2 || !int.TryParse(statusLine[1], out var status) || status is < 100 or > 999)
        {
            throw new SnapshotFormatException($"{where}: status line '{response.StartLine}' is not 'HTTP/1.x STATUS REASON'");
        }
        var exchange = new ExchangeRecord
        {
            Method = requestLine[0].ToUpperInvariant(),
            Scheme = scheme,
            Host = host,
            Path = path,
            RequestHeaders = request.Headers,
            Status = status,
            ResponseHeaders = response.Headers,
        };
        var body = response.Body;
        if (response.Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true && HttpMessage.Dechunk(body) is { } plain)
        {
            body = plain;
            exchange.Flags = [ExchangeFlags.BodyDechunked];
        }
        else if (response.Header("Content-Length") is { } lengthText && int.TryParse(lengthText, out var length) && length >= 0 && length < body.Length)
        {
            body = body[..length]; // bytes after the declared length belong to no message
        }
        exchange.Type = ImportSupport.TypeOf(exchange, null);
        return (exchange, body);
    }
}
