using System.Text;

namespace SpdyLab.Sites.Import;

/// <summary>An HTTP/1.x message as archives store it: start line, header lines, body (RFC 7230 §3).</summary>
public sealed class HttpMessage
{
    public string StartLine { get; init; } = "";
    public List<string[]> Headers { get; init; } = [];
    public byte[] Body { get; set; } = [];

    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h[0], name, StringComparison.OrdinalIgnoreCase))?[1];

    /// <summary>Parses "start-line CRLF *(header CRLF) CRLF body"; bare LF line ends are accepted.</summary>
    public static HttpMessage Parse(byte[] bytes, string where)
    {
        var end = IndexOf(bytes, "\r\n\r\n"u8, out var separator);
        if (end < 0)
        {
            end = IndexOf(bytes, "\n\n"u8, out separator);
        }
        if (end < 0)
        {
            throw new Snapshots.SnapshotFormatException($"{where}: no blank line ends the header section");
        }
        var head = Encoding.Latin1.GetString(bytes, 0, end);
        var lines = head.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var headers = new List<string[]>();
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0)
            {
                continue;
            }
            if (line[0] is ' ' or '\t' && headers.Count > 0)
            {
                headers[^1][1] += " " + line.Trim(); // obsolete line folding
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                throw new Snapshots.SnapshotFormatException($"{where}: header line '{Truncate(line)}' has no name");
            }
            headers.Add([line[..colon].Trim(), line[(colon + 1)..].Trim()]);
        }
        return new HttpMessage { StartLine = lines[0], Headers = headers, Body = bytes[(end + separator)..] };
    }

    /// <summary>Decodes a chunked body (RFC 7230 §4.1); null when it is not well-formed chunked data.</summary>
    public static byte[]? Dechunk(byte[] body)
    {
        var output = new MemoryStream();
        var i = 0;
        while (true)
        {
            var lineEnd = Array.IndexOf(body, (byte)'\n', i);
            if (lineEnd < 0)
            {
                return null;
            }
            var sizeText = Encoding.ASCII.GetString(body, i, lineEnd - i).TrimEnd('\r').Split(';')[0].Trim();
            if (!int.TryParse(sizeText, System.Globalization.NumberStyles.HexNumber, null, out var size) || size < 0)
            {
                return null;
            }
            i = lineEnd + 1;
            if (size == 0)
            {
                return output.ToArray();
            }
            if (i + size > body.Length)
            {
                return null;
            }
            output.Write(body, i, size);
            i += size;
            if (i < body.Length && body[i] == '\r') i++;
            if (i < body.Length && body[i] == '\n') i++;
        }
    }

    static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle, out int length)
    {
        length = needle.Length;
        return haystack.AsSpan().IndexOf(needle);
    }

    static string Truncate(string s) => s.Length > 60 ? s[..60] + "..." : s;
}
