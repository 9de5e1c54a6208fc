using System.Text.Json;
using System.Text.Json.Serialization;

namespace SpdyLab.Sites.Snapshots;

/// <summary>
/// The on-disk manifest of a snapshot (<c>manifest.json</c>): a versioned, human-readable list of
/// recorded exchanges. Bodies live beside it, content-addressed, in <c>bodies/&lt;sha256 hex&gt;</c>.
/// Headers are lists of <c>[name, value]</c> pairs so order and repeated names survive.
/// </summary>
public sealed class SnapshotManifest
{
    public const string FormatName = "spdylab-snapshot";
    public const int CurrentVersion = 1;

    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = CurrentVersion;
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    /// <summary>Where the snapshot came from: "generated (seed 2009)", "har: file.har", ...</summary>
    public string? Source { get; set; }
    /// <summary>The URL a browser navigates to (the first exchange's URL unless said otherwise).</summary>
    public string? Page { get; set; }
    /// <summary>What an importer could not carry over faithfully (skipped entries, synthesized bodies).</summary>
    public List<string>? Notes { get; set; }
    public List<ExchangeRecord> Exchanges { get; set; } = [];

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        // Keep URLs, cookies and quotes readable in the file (the file is UTF-8 JSON, not HTML).
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}

/// <summary>One recorded request and its response.</summary>
public sealed class ExchangeRecord
{
    public int Id { get; set; }
    public string Method { get; set; } = "GET";
    public string Scheme { get; set; } = "http";
    /// <summary>Host as in the URL (lower case, with a port only when not the scheme's default).</summary>
    public string Host { get; set; } = "";
    /// <summary>Path and query, as requested ("/a/b.css?v=2").</summary>
    public string Path { get; set; } = "/";
    /// <summary>What the resource is: document, stylesheet, script, image, font, media, other.</summary>
    public string? Type { get; set; }
    public List<string[]> RequestHeaders { get; set; } = [];
    public int Status { get; set; } = 200;
    public List<string[]> ResponseHeaders { get; set; } = [];
    /// <summary>"sha256-&lt;hex&gt;" of the body as sent on the wire (content-coding applied), or null for none.</summary>
    public string? Body { get; set; }
    /// <summary>Size in bytes of the body as sent on the wire.</summary>
    public long BodySize { get; set; }
    /// <summary>Id of the exchange whose content caused this request (document, stylesheet, script), or null.</summary>
    public int? Initiator { get; set; }
    /// <summary>How the initiator referenced it: "parser" (HTML), "css", "script", "redirect".</summary>
    public string? InitiatorType { get; set; }
    public ExchangeTimings? Timings { get; set; }
    /// <summary>Notes on fidelity: "body-synthesized", "body-reencoded", "body-dechunked".</summary>
    public List<string>? Flags { get; set; }

    [JsonIgnore]
    public string Url => $"{Scheme}://{Host}{Path}";

    public string? ResponseHeader(string name) => FindHeader(ResponseHeaders, name);

    public string? RequestHeader(string name) => FindHeader(RequestHeaders, name);

    public bool HasFlag(string flag) => Flags?.Contains(flag) == true;

    static string? FindHeader(List<string[]> headers, string name)
    {
        foreach (var header in headers)
        {
            if (header.Length == 2 && string.Equals(header[0], name, StringComparison.OrdinalIgnoreCase))
            {
                return header[1];
            }
        }
        return null;
    }
}

/// <summary>Recorded timings in milliseconds, when the source had them (HAR's names).</summary>
public sealed class ExchangeTimings
{
    public double? Blocked { get; set; }
    public double? Dns { get; set; }
    public double? Connect { get; set; }
    public double? Ssl { get; set; }
    public double? Send { get; set; }
    public double? Wait { get; set; }
    public double? Receive { get; set; }
    /// <summary>Start of the request relative to the first request of the snapshot.</summary>
    public double? StartOffset { get; set; }
}

public static class ExchangeFlags
{
    public const string BodySynthesized = "body-synthesized";
    public const string BodyReencoded = "body-reencoded";
    public const string BodyDechunked = "body-dechunked";
}
