using System.IO.Compression;
using System.Text.Json;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Import;

/// <summary>
/// Web Page Replay (Go) archives, <c>.wprgo</c>: gzipped JSON whose <c>Requests</c> maps host -> URL ->
/// list of recorded pairs, each with <c>SerializedRequest</c> and <c>SerializedResponse</c>: the HTTP/1.x
/// wire form of the request and the response, base64-encoded (Go's encoding of []byte). Bodies are as
/// served (content-coding kept; chunked framing undone).
/// </summary>
public static class WprImporter
{
    public static SnapshotBuilder Import(string path, string name)
    {
        byte[] json;
        try
        {
            using var file = File.OpenRead(path);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            var buffer = new MemoryStream();
            gzip.CopyTo(buffer);
            json = buffer.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new SnapshotFormatException($"{path}: not a gzip file (a .wprgo archive is gzipped JSON): {e.Message}", e);
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new SnapshotFormatException($"{path}: the gzipped JSON is not valid at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {e.Message}", e);
        }
        using (document)
        {
            if (!TryGet(document.RootElement, "Requests", out var requests) || requests.ValueKind != JsonValueKind.Object)
            {
                throw new SnapshotFormatException($"{path}: no 'Requests' object (expected a Web Page Replay archive)");
            }
            var builder = new SnapshotBuilder(name) { };
            builder.Manifest.Source = $"wpr: {Path.GetFileName(path)}";
            foreach (var host in requests.EnumerateObject())
            {
                foreach (var url in host.Value.EnumerateObject())
                {
                    var i = 0;
                    foreach (var archived in url.Value.EnumerateArray())
                    {
                        var where = $"{path}: Requests[\"{host.Name}\"][\"{url.Name}\"][{i++}]";
                        var request = HttpMessage.Parse(Base64(archived, "SerializedRequest", where), where + ".SerializedRequest");
                        var response = HttpMessage.Parse(Base64(archived, "SerializedResponse", where), where + ".SerializedResponse");
                        var scheme = ImportSupport.SplitUrl(url.Name)?.Scheme ?? "http";
                        var (exchange, body) = ArchiveExchange.From(request, response, scheme, host.Name, where);
                        if (ImportSupport.SplitUrl(url.Name) is { } split)
                        {
                            (exchange.Scheme, exchange.Host, exchange.Path) = split;
                        }
                        builder.Add(exchange, body);
                    }
                }
            }
            if (builder.Manifest.Exchanges.Count == 0)
            {
                throw new SnapshotFormatException($"{path}: the archive holds no requests");
            }
            ImportSupport.InferInitiators(builder.Manifest.Exchanges);
            var page = builder.Manifest.Exchanges.FirstOrDefault(e => e.Type == "document" && e.Status == 200 && e.RequestHeader("Referer") is null)
                ?? builder.Manifest.Exchanges[0];
            builder.Manifest.Page = page.Url;
            return builder;
        }
    }

    static byte[] Base64(JsonElement archived, string property, string where)
    {
        if (!TryGet(archived, property, out var value) || value.ValueKind != JsonValueKind.String)
        {
            throw new SnapshotFormatException($"{where}.{property}: missing");
        }
        try
        {
            return Convert.FromBase64String(value.GetString()!);
        }
        catch (FormatException e)
        {
            throw new SnapshotFormatException($"{where}.{property}: not valid base64", e);
        }
    }

    static bool TryGet(JsonElement element, string name, out JsonElement value)
    {
        value = default;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }
        return false;
    }
}
