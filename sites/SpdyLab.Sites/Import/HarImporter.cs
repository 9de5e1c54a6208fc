using System.Globalization;
using System.Text.Json;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Import;

/// <summary>
/// HAR 1.2 import (http://www.softwareishard.com/blog/har-12-spec/): every entry with an http(s) URL and a
/// real status becomes an exchange. Bodies: content.text (plain, or base64 when content.encoding says so)
/// is the decoded body, encoded again with the response's Content-Encoding so the replay is faithful to the
/// headers; a missing body is synthesized at the recorded size and flagged. Tolerates a UTF-8 byte order
/// mark. Initiators come from Chrome's _initiator, else from Referer and redirects.
/// </summary>
public static class HarImporter
{
    public static SnapshotBuilder Import(string path, string name)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new SnapshotFormatException($"{path}: cannot read: {e.Message}", e);
        }
        return Import(bytes, path, name);
    }

    public static SnapshotBuilder Import(byte[] bytes, string where, string name)
    {
        var span = bytes.AsSpan();
        if (span.StartsWith("\uFEFF"u8))
        {
            span = span[3..];
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(span.ToArray(), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new SnapshotFormatException($"{where}: not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {e.Message}", e);
        }
        using (document)
        {
            var log = Get(document.RootElement, "log", where, "log", JsonValueKind.Object);
            var entries = Get(log, "entries", where, "log.entries", JsonValueKind.Array);
            var builder = new SnapshotBuilder(name);
            var creator = log.TryGetProperty("creator", out var c) && c.ValueKind == JsonValueKind.Object
                ? $"{Str(c, "name")} {Str(c, "version")}".Trim()
                : "unknown";
            builder.Manifest.Source = $"har: {Path.GetFileName(where)} (HAR {Str(log, "version") ?? "?"}, {creator})";
            var notes = new List<string>();
            var initiatorUrls = new Dictionary<int, (string Url, string Type)>();
            DateTimeOffset? firstStart = null;
            var index = -1;
            foreach (var entry in entries.EnumerateArray())
            {
                index++;
                var at = $"log.entries[{index}]";
                var request = Get(entry, "request", where, at + ".request", JsonValueKind.Object);
                var response = Get(entry, "response", where, at + ".response", JsonValueKind.Object);
                var url = Str(request, "url") ?? throw new SnapshotFormatException($"{where}: {at}.request.url: missing");
                var split = ImportSupport.SplitUrl(url);
                if (split is null)
                {
                    notes.Add($"{at}: skipped {url} (not an http or https URL)");
                    continue;
                }
                var status = response.TryGetProperty("status", out var s) && s.TryGetInt32(out var st) ? st : 0;
                if (status is < 100 or > 999)
                {
                    notes.Add($"{at}: skipped {url} (status {status}: the request never completed)");
                    continue;
                }
                var exchange = new ExchangeRecord
                {
                    Method = (Str(request, "method") ?? "GET").ToUpperInvariant(),
                    Scheme = split.Value.Scheme,
                    Host = split.Value.Host,
                    Path = split.Value.PathAndQuery,
                    RequestHeaders = Headers(request, where, at + ".request.headers"),
                    Status = status,
                    ResponseHeaders = Headers(response, where, at + ".response.headers"),
                };
                exchange.Timings = Timings(entry, ref firstStart);
                var (body, flags) = Body(exchange, response, where, at, index);
                if (flags.Count > 0)
                {
                    exchange.Flags = flags;
                }
                var hint = Str(entry, "_resourceType");
                exchange.Type = ImportSupport.TypeOf(exchange, hint);
                builder.Add(exchange, body);
                if (entry.TryGetProperty("_initiator", out var initiator) && initiator.ValueKind == JsonValueKind.Object)
                {
                    var initiatorUrl = Str(initiator, "url");
                    if (initiatorUrl is null && initiator.TryGetProperty("stack", out var stack) && stack.TryGetProperty("callFrames", out var frames)
                        && frames.ValueKind == JsonValueKind.Array && frames.GetArrayLength() > 0)
                    {
                        initiatorUrl = Str(frames[0], "url");
                    }
                    if (initiatorUrl is not null)
                    {
                        initiatorUrls[exchange.Id] = (initiatorUrl, Str(initiator, "type") is "script" or "redirect" ? Str(initiator, "type")! : "parser");
                    }
                }
            }
            if (builder.Manifest.Exchanges.Count == 0)
            {
                throw new SnapshotFormatException($"{where}: log.entries holds no replayable entry" + (notes.Count > 0 ? $" ({notes[0]})" : ""));
            }
            var byUrl = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var e in builder.Manifest.Exchanges)
            {
                if (initiatorUrls.TryGetValue(e.Id, out var init) && byUrl.TryGetValue(init.Url, out var parent))
                {
                    e.Initiator = parent;
                    e.InitiatorType = init.Type is "script" or "redirect" ? init.Type : SiteFigures.Classify(builder.Manifest.Exchanges[parent]) == "css" ? "css" : "parser";
                }
                byUrl.TryAdd(e.Url, e.Id);
            }
            ImportSupport.InferInitiators(builder.Manifest.Exchanges);
            builder.Manifest.Page = builder.Manifest.Exchanges[0].Url;
            var synthesized = builder.Manifest.Exchanges.Count(e => e.HasFlag(ExchangeFlags.BodySynthesized));
            if (synthesized > 0)
            {
                notes.Add($"{synthesized} bodies were missing and were synthesized at the recorded size (flag body-synthesized)");
            }
            builder.Manifest.Notes = notes.Count > 0 ? notes : null;
            return builder;
        }
    }

    static (byte[] Body, List<string> Flags) Body(ExchangeRecord exchange, JsonElement response, string where, string at, int index)
    {
        var flags = new List<string>();
        var content = response.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        var mimeType = content.ValueKind == JsonValueKind.Object ? Str(content, "mimeType") : null;
        var contentType = exchange.ResponseHeader("Content-Type") ?? mimeType;
        byte[]? decoded = null;
        if (content.ValueKind == JsonValueKind.Object && content.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
        {
            var value = text.GetString()!;
            if (Str(content, "encoding") is { } encoding)
            {
                if (!encoding.Equals("base64", StringComparison.OrdinalIgnoreCase))
                {
                    throw new SnapshotFormatException($"{where}: {at}.response.content.encoding: '{encoding}' is not supported (HAR 1.2 knows base64)");
                }
                try
                {
                    decoded = Convert.FromBase64String(value);
                }
                catch (FormatException e)
                {
                    throw new SnapshotFormatException($"{where}: {at}.response.content.text: not valid base64", e);
                }
            }
            else
            {
                decoded = ImportSupport.TextEncoding(contentType).GetBytes(value);
            }
        }
        var noBody = exchange.Status is 204 or 304 || exchange.Status < 200 || exchange.Method == "HEAD";
        if (decoded is null || (decoded.Length == 0 && !noBody && ContentSize(content) > 0))
        {
            var size = ContentSize(content);
            if (noBody || size <= 0)
            {
                return ([], flags);
            }
            decoded = ImportSupport.Synthesize(contentType, size, index);
            flags.Add(ExchangeFlags.BodySynthesized);
        }
        var (body, reencoded) = ImportSupport.EncodeAsDeclared(exchange, decoded);
        if (reencoded)
        {
            flags.Add(ExchangeFlags.BodyReencoded);
        }
        return (body, flags);
    }

    static long ContentSize(JsonElement content) =>
        content.ValueKind == JsonValueKind.Object && content.TryGetProperty("size", out var s) && s.TryGetInt64(out var size) ? size : 0;

    static ExchangeTimings? Timings(JsonElement entry, ref DateTimeOffset? firstStart)
    {
        var result = new ExchangeTimings();
        var any = false;
        if (Str(entry, "startedDateTime") is { } started && DateTimeOffset.TryParse(started, CultureInfo.InvariantCulture, DateTimeStyles.None, out var start))
        {
            firstStart ??= start;
            result.StartOffset = Math.Round((start - firstStart.Value).TotalMilliseconds, 3);
            any = true;
        }
        if (entry.TryGetProperty("timings", out var t) && t.ValueKind == JsonValueKind.Object)
        {
            double? Read(string name) => t.TryGetProperty(name, out var v) && v.TryGetDouble(out var d) && d >= 0 ? d : null;
            result.Blocked = Read("blocked");
            result.Dns = Read("dns");
            result.Connect = Read("connect");
            result.Ssl = Read("ssl");
            result.Send = Read("send");
            result.Wait = Read("wait");
            result.Receive = Read("receive");
            any = true;
        }
        return any ? result : null;
    }

    static List<string[]> Headers(JsonElement message, string where, string at)
    {
        var list = new List<string[]>();
        if (!message.TryGetProperty("headers", out var headers) || headers.ValueKind != JsonValueKind.Array)
        {
            return list;
        }
        var i = 0;
        foreach (var header in headers.EnumerateArray())
        {
            var name = Str(header, "name");
            var value = Str(header, "value");
            if (name is null || value is null)
            {
                throw new SnapshotFormatException($"{where}: {at}[{i}]: a header needs a name and a value");
            }
            if (!name.StartsWith(':')) // HTTP/2 pseudo-headers are not headers of the resource
            {
                // Firebug joins repeated headers (Set-Cookie) with newlines: they were separate lines.
                foreach (var part in value.Split('\n'))
                {
                    list.Add([name, part.TrimEnd('\r')]);
                }
            }
            i++;
        }
        return list;
    }

    static JsonElement Get(JsonElement parent, string property, string where, string path, JsonValueKind kind)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(property, out var value))
        {
            throw new SnapshotFormatException($"{where}: {path}: missing");
        }
        if (value.ValueKind != kind)
        {
            throw new SnapshotFormatException($"{where}: {path}: expected {kind.ToString().ToLowerInvariant()}, found {value.ValueKind.ToString().ToLowerInvariant()}");
        }
        return value;
    }

    static string? Str(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
