using System.Globalization;
using System.Text;
using System.Text.Json;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Import;

/// <summary>
/// Writes a snapshot as HAR 1.2: one page, one entry per exchange, bodies decoded (as HAR stores them),
/// as text when they are valid UTF-8 text and base64 otherwise. Headers are the recorded ones. The
/// initiator, resource type and fidelity flags go in underscore fields (_initiator, _resourceType,
/// _spdylabFlags), which HAR allows.
/// </summary>
public static class HarExporter
{
    public static void Write(Snapshot snapshot, string path)
    {
        var full = Path.GetFullPath(path);
        var temp = full + ".tmp-" + Environment.ProcessId;
        try
        {
            using (var stream = File.Create(temp))
            {
                Write(snapshot, stream);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    public static void Write(Snapshot snapshot, Stream output)
    {
        var start = new DateTimeOffset(2009, 12, 15, 18, 0, 0, TimeSpan.Zero);
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteStartObject("log");
        json.WriteString("version", "1.2");
        json.WriteStartObject("creator");
        json.WriteString("name", "spdylab");
        json.WriteString("version", "1");
        json.WriteEndObject();
        json.WriteStartArray("pages");
        json.WriteStartObject();
        json.WriteString("startedDateTime", Iso(start));
        json.WriteString("id", "page_1");
        json.WriteString("title", snapshot.Manifest.Page ?? snapshot.Name);
        json.WriteStartObject("pageTimings");
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteStartArray("entries");
        var byId = snapshot.Exchanges.ToDictionary(e => e.Id);
        foreach (var e in snapshot.Exchanges)
        {
            var wire = snapshot.BodyOf(e);
            var decoded = SiteFigures.Decode(e, wire);
            var t = e.Timings;
            json.WriteStartObject();
            json.WriteString("pageref", "page_1");
            json.WriteString("startedDateTime", Iso(start.AddMilliseconds(t?.StartOffset ?? e.Id)));
            var total = (t?.Blocked ?? 0) + (t?.Dns ?? 0) + (t?.Connect ?? 0) + (t?.Send ?? 0) + (t?.Wait ?? 0) + (t?.Receive ?? 0);
            json.WriteNumber("time", total);

            json.WriteStartObject("request");
            json.WriteString("method", e.Method);
            json.WriteString("url", e.Url);
            json.WriteString("httpVersion", "HTTP/1.1");
            json.WriteStartArray("cookies");
            json.WriteEndArray();
            WriteHeaders(json, e.RequestHeaders);
            json.WriteStartArray("queryString");
            var q = e.Path.IndexOf('?');
            if (q >= 0)
            {
                foreach (var pair in e.Path[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
                {
                    var eq = pair.IndexOf('=');
                    json.WriteStartObject();
                    json.WriteString("name", eq < 0 ? pair : pair[..eq]);
                    json.WriteString("value", eq < 0 ? "" : pair[(eq + 1)..]);
                    json.WriteEndObject();
                }
            }
            json.WriteEndArray();
            json.WriteNumber("headersSize", SiteFigures.RequestHeaderSize(e));
            json.WriteNumber("bodySize", 0);
            json.WriteEndObject();

            json.WriteStartObject("response");
            json.WriteNumber("status", e.Status);
            json.WriteString("statusText", SiteFigures.ReasonPhrase(e.Status));
            json.WriteString("httpVersion", "HTTP/1.1");
            json.WriteStartArray("cookies");
            json.WriteEndArray();
            WriteHeaders(json, e.ResponseHeaders);
            json.WriteStartObject("content");
            json.WriteNumber("size", decoded.Length);
            json.WriteNumber("compression", decoded.Length - wire.Length);
            json.WriteString("mimeType", e.ResponseHeader("Content-Type") ?? "x-unknown");
            if (!e.HasFlag(ExchangeFlags.BodySynthesized) && decoded.Length > 0)
            {
                var latin1 = ImportSupport.TextEncoding(e.ResponseHeader("Content-Type")) == Encoding.Latin1;
                if (IsText(e) && latin1)
                {
                    json.WriteString("text", Encoding.Latin1.GetString(decoded.Span));
                }
                else if (IsText(e) && TryUtf8(decoded.Span, out var text))
                {
                    json.WriteString("text", text);
                }
                else
                {
                    json.WriteString("text", Convert.ToBase64String(decoded.Span));
                    json.WriteString("encoding", "base64");
                }
            }
            json.WriteEndObject();
            json.WriteString("redirectURL", e.Status is >= 300 and < 400 ? e.ResponseHeader("Location") ?? "" : "");
            json.WriteNumber("headersSize", SiteFigures.ResponseHeaderSize(e));
            json.WriteNumber("bodySize", wire.Length);
            json.WriteEndObject();

            json.WriteStartObject("cache");
            json.WriteEndObject();
            json.WriteStartObject("timings");
            json.WriteNumber("blocked", t?.Blocked ?? -1);
            json.WriteNumber("dns", t?.Dns ?? -1);
            json.WriteNumber("connect", t?.Connect ?? -1);
            json.WriteNumber("ssl", t?.Ssl ?? -1);
            json.WriteNumber("send", t?.Send ?? 0);
            json.WriteNumber("wait", t?.Wait ?? 0);
            json.WriteNumber("receive", t?.Receive ?? 0);
            json.WriteEndObject();
            if (e.Type is not null)
            {
                json.WriteString("_resourceType", e.Type);
            }
            if (e.Initiator is { } initiator && byId.TryGetValue(initiator, out var parent))
            {
                json.WriteStartObject("_initiator");
                json.WriteString("type", e.InitiatorType == "script" ? "script" : e.InitiatorType == "redirect" ? "redirect" : "parser");
                json.WriteString("url", parent.Url);
                json.WriteEndObject();
            }
            if (e.Flags is { Count: > 0 })
            {
                json.WriteStartArray("_spdylabFlags");
                foreach (var flag in e.Flags)
                {
                    json.WriteStringValue(flag);
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    static bool IsText(ExchangeRecord e) => SiteFigures.Classify(e) is "html" or "css" or "script" or "text";

    static bool TryUtf8(ReadOnlySpan<byte> bytes, out string text)
    {
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }

    static void WriteHeaders(Utf8JsonWriter json, List<string[]> headers)
    {
        json.WriteStartArray("headers");
        foreach (var h in headers)
        {
            json.WriteStartObject();
            json.WriteString("name", h[0]);
            json.WriteString("value", h[1]);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
