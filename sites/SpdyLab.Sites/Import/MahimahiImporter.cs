using System.Text;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Import;

/// <summary>
/// Mahimahi recorded-site folders: one file per exchange, each a serialized protobuf message.
/// Current format (mahimahi src/protobufs/http_record.proto, proto2):
/// <code>
///   message HTTPHeader      { optional bytes key = 1; optional bytes value = 2; }
///   message HTTPMessage     { optional bytes first_line = 1; repeated HTTPHeader header = 2; optional bytes body = 3; }
///   message RequestResponse { optional string ip = 1; optional uint32 port = 2; optional Scheme scheme = 3;  // HTTP=1, HTTPS=2
///                             optional HTTPMessage request = 4; optional HTTPMessage response = 5; }
/// </code>
/// Older recordings (package <c>HTTP_Record</c>, message <c>reqrespair</c> with <c>req</c> and <c>res</c>, each an
/// <c>http_message</c> with <c>first_line</c>, repeated <c>headers</c> and <c>body</c>). Those names and the
/// content (first line and each header a raw text line ending in CRLF) are confirmed by mahimahi's
/// code of the time (its replay server matched <c>req().first_line()</c> against "GET / HTTP/1.1\r\n" and
/// cut header values at CRLF); the .proto itself was not found, so the field numbers (req 1, res 2;
/// first_line 1, headers 2, body 3) are inferred from the declaration order. The replay server of the
/// time wrote first_line + headers + body with no separator of its own, so the blank line ending the
/// head may be stored as an empty header line or at the start of the body: both are tolerated (an empty
/// header line is skipped; a body starting with CRLF that is exactly 2 bytes longer than its
/// Content-Length loses those 2 bytes). The two formats are told apart by which top-level fields are present.
/// </summary>
public static class MahimahiImporter
{
    public static SnapshotBuilder Import(string folder, string name)
    {
        if (!Directory.Exists(folder))
        {
            throw new SnapshotFormatException($"{folder}: not a folder (a Mahimahi recording is a folder of save.* files)");
        }
        var files = Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new SnapshotFormatException($"{folder}: empty folder");
        }
        var builder = new SnapshotBuilder(name);
        var formats = new HashSet<string>();
        foreach (var file in files)
        {
            var (exchange, body, format) = ReadRecord(File.ReadAllBytes(file), file);
            formats.Add(format);
            builder.Add(exchange, body);
        }
        builder.Manifest.Source = $"mahimahi: {Path.GetFileName(Path.GetFullPath(folder).TrimEnd('/'))} ({string.Join(", ", formats.Order())} records)";
        ImportSupport.InferInitiators(builder.Manifest.Exchanges);
        // No order survives in a Mahimahi folder: the page is the HTML document nothing refers to.
        var page = builder.Manifest.Exchanges.FirstOrDefault(e => e.Type == "document" && e.Status == 200 && e.RequestHeader("Referer") is null)
            ?? builder.Manifest.Exchanges.FirstOrDefault(e => e.Type == "document")
            ?? builder.Manifest.Exchanges[0];
        builder.Manifest.Page = page.Url;
        return builder;
    }

    public static (ExchangeRecord Exchange, byte[] Body, string Format) ReadRecord(byte[] bytes, string where)
    {
        var top = ProtoReader.ReadFields(bytes, where);
        if (top.Any(f => f.Number is 4 or 5))
        {
            var scheme = top.FirstOrDefault(f => f.Number == 3)?.Varint == 2 ? "https" : "http";
            var request = Message(top, 4, where, "request", current: true);
            var response = Message(top, 5, where, "response", current: true);
            var (exchange, body) = ArchiveExchange.From(request, response, scheme, null, where);
            return (exchange, body, "RequestResponse");
        }
        if (top.Any(f => f.Number is 1) && top.Any(f => f.Number is 2 && f.Bytes is not null))
        {
            var request = Message(top, 1, where, "req", current: false);
            var response = Message(top, 2, where, "res", current: false);
            var (exchange, body) = ArchiveExchange.From(request, response, "http", null, where);
            return (exchange, body, "reqrespair");
        }
        throw new SnapshotFormatException($"{where}: neither a RequestResponse (fields 4, 5) nor a reqrespair (fields 1, 2) record");
    }

    static HttpMessage Message(List<ProtoReader.Field> fields, int number, string where, string label, bool current)
    {
        var field = fields.FirstOrDefault(f => f.Number == number && f.Bytes is not null)
            ?? throw new SnapshotFormatException($"{where}: field {number} ({label}) is missing");
        var inner = ProtoReader.ReadFields(field.Bytes!, $"{where}: {label}");
        var firstLine = Encoding.Latin1.GetString(inner.FirstOrDefault(f => f.Number == 1)?.Bytes ?? []).TrimEnd('\r', '\n');
        var headers = new List<string[]>();
        foreach (var h in inner.Where(f => f.Number == 2 && f.Bytes is not null))
        {
            if (current)
            {
                var kv = ProtoReader.ReadFields(h.Bytes!, $"{where}: {label}.header");
                headers.Add([
                    Encoding.Latin1.GetString(kv.FirstOrDefault(f => f.Number == 1)?.Bytes ?? []),
                    Encoding.Latin1.GetString(kv.FirstOrDefault(f => f.Number == 2)?.Bytes ?? []).TrimEnd('\r', '\n'),
                ]);
            }
            else
            {
                var line = Encoding.Latin1.GetString(h.Bytes!).TrimEnd('\r', '\n');
                if (line.Length == 0)
                {
                    continue; // the head's closing blank line, stored as a header
                }
                var colon = line.IndexOf(':');
                if (colon <= 0)
                {
                    throw new SnapshotFormatException($"{where}: {label} header '{line}' has no name");
                }
                headers.Add([line[..colon].Trim(), line[(colon + 1)..].Trim()]);
            }
        }
        if (firstLine.Length == 0)
        {
            throw new SnapshotFormatException($"{where}: {label} has no first line");
        }
        var body = inner.FirstOrDefault(f => f.Number == 3)?.Bytes ?? [];
        if (!current && body is [(byte)'\r', (byte)'\n', ..]
            && headers.FirstOrDefault(h => h[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) is { } length
            && long.TryParse(length[1], out var declared) && declared == body.Length - 2)
        {
            body = body[2..]; // the head's closing blank line, stored at the start of the body
        }
        return new HttpMessage { StartLine = firstLine, Headers = headers, Body = body };
    }
}

/// <summary>
/// The protobuf wire format, just enough to read records (protobuf encoding guide): each field is a
/// key varint (field number << 3 | wire type) followed by a varint (type 0), 8 bytes (1), a length-prefixed
/// byte string (2) or 4 bytes (5).
/// </summary>
public static class ProtoReader
{
    public sealed record Field(int Number, int WireType, ulong Varint, byte[]? Bytes);

    public static List<Field> ReadFields(byte[] data, string where)
    {
        var fields = new List<Field>();
        var i = 0;
        while (i < data.Length)
        {
            var at = i;
            var key = ReadVarint(data, ref i, where);
            var number = (int)(key >> 3);
            var wireType = (int)(key & 7);
            if (number == 0)
            {
                throw new SnapshotFormatException($"{where}: byte {at}: field number 0 is not valid protobuf");
            }
            switch (wireType)
            {
                case 0:
                    fields.Add(new Field(number, 0, ReadVarint(data, ref i, where), null));
                    break;
                case 1:
                    Need(data, i, 8, where);
                    i += 8;
                    break;
                case 2:
                    var length = ReadVarint(data, ref i, where);
                    if (length > (ulong)(data.Length - i))
                    {
                        throw new SnapshotFormatException($"{where}: byte {at}: field {number} claims {length} bytes but {data.Length - i} remain");
                    }
                    fields.Add(new Field(number, 2, 0, data[i..(i + (int)length)]));
                    i += (int)length;
                    break;
                case 5:
                    Need(data, i, 4, where);
                    i += 4;
                    break;
                default:
                    throw new SnapshotFormatException($"{where}: byte {at}: wire type {wireType} is not supported");
            }
        }
        return fields;
    }

    static void Need(byte[] data, int i, int count, string where)
    {
        if (data.Length - i < count)
        {
            throw new SnapshotFormatException($"{where}: byte {i}: truncated");
        }
    }

    static ulong ReadVarint(byte[] data, ref int i, string where)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (i >= data.Length)
            {
                throw new SnapshotFormatException($"{where}: byte {i}: truncated varint");
            }
            var b = data[i++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
        throw new SnapshotFormatException($"{where}: byte {i}: varint longer than 10 bytes");
    }
}
