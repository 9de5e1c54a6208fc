using System.Buffers.Binary;
using SpdyLab.Protocol.Compression;

namespace SpdyLab.Protocol;

/// <summary>
/// Everything that differs between SPDY/2, SPDY/3 and SPDY/3.1 (the version table in spec/README.md), so the
/// framing code and the session engine never test the version number. Get one with <see cref="For"/>.
/// </summary>
public abstract class SpdyProtocolProfile
{
    public static SpdyProtocolProfile Spdy2 { get; } = new Spdy2Profile();

    public static SpdyProtocolProfile Spdy3 { get; } = new Spdy3Profile(SpdyVersion.Spdy3);

    public static SpdyProtocolProfile Spdy31 { get; } = new Spdy3Profile(SpdyVersion.Spdy31);

    public static IReadOnlyList<SpdyProtocolProfile> All { get; } = [Spdy31, Spdy3, Spdy2];

    public static SpdyProtocolProfile For(SpdyVersion version) => version switch
    {
        SpdyVersion.Spdy2 => Spdy2,
        SpdyVersion.Spdy3 => Spdy3,
        SpdyVersion.Spdy31 => Spdy31,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "not a SPDY version"),
    };

    /// <summary>Profile for an ALPN/NPN id (`spdy/2`, `spdy/3`, `spdy/3.1`), or null.</summary>
    public static SpdyProtocolProfile? ForAlpn(string? alpnId) => All.FirstOrDefault(p => p.AlpnId == alpnId);

    public abstract SpdyVersion Version { get; }

    /// <summary>Version field of control frames: 2 or 3 (3.1 is sent as 3).</summary>
    public abstract ushort WireVersion { get; }

    /// <summary>NPN/ALPN protocol id.</summary>
    public abstract string AlpnId { get; }

    /// <summary>Width of the pair count and of each name/value length in a header block: 2 (v2) or 4 (v3).</summary>
    public abstract int HeaderLengthFieldSize { get; }

    /// <summary>The zlib dictionary for header compression.</summary>
    public abstract ReadOnlyMemory<byte> Dictionary { get; }

    /// <summary>Lowest priority value (0 is the highest everywhere in practice): 3 for v2, 7 for v3.</summary>
    public abstract int LowestPriority { get; }

    /// <summary>Bytes between the stream id and the header block in SYN_REPLY and HEADERS: 2 unused bytes in v2.</summary>
    public abstract int SynReplyPadding { get; }

    /// <summary>GOAWAY payload length: 4 (v2, no status) or 8.</summary>
    public abstract int GoAwayLength { get; }

    /// <summary>Per-stream flow control with WINDOW_UPDATE (v3, v3.1).</summary>
    public abstract bool HasFlowControl { get; }

    /// <summary>Session (connection) window, WINDOW_UPDATE on stream 0 (v3.1).</summary>
    public abstract bool HasSessionFlowControl { get; }

    /// <summary>NOOP frame (v2).</summary>
    public abstract bool HasNoop { get; }

    /// <summary>CREDENTIAL frame (v3 only; 3.1 deprecates it, so it is an unknown type there).</summary>
    public abstract bool HasCredential { get; }

    /// <summary>Highest RST_STREAM status this version defines (7 for v2, 11 for v3).</summary>
    public abstract RstStatus MaxRstStatus { get; }

    /// <summary>Initial stream window before any SETTINGS (64 KB, spdy3 §2.6.8).</summary>
    public int DefaultInitialWindowSize => 65536;

    // Header names of the HTTP layering (spdy2 › Request/Response; spdy3 §3.2.1, §3.2.2).
    public abstract string MethodHeader { get; }

    public abstract string PathHeader { get; }

    public abstract string VersionHeader { get; }

    public abstract string HostHeader { get; }

    public abstract string SchemeHeader { get; }

    public abstract string StatusHeader { get; }

    public override string ToString() => AlpnId;

    /// <summary>True if the frame type exists in this version (unknown types are ignored, spdy3 §2.2.1).</summary>
    public bool Defines(ushort frameType) => frameType switch
    {
        >= 1 and <= 4 or 6 or 7 or 8 => true,
        5 => HasNoop,
        9 => HasFlowControl,
        10 => HasCredential,
        _ => false,
    };

    /// <summary>The SYN_STREAM priority byte (the byte after Associated-To-Stream-ID) for a priority.</summary>
    public abstract byte EncodePriority(int priority);

    public abstract int DecodePriority(byte priorityByte);

    /// <summary>Maps a priority on SPDY/3's 0 (highest) .. 7 (lowest) scale to this version's range.</summary>
    public int ScalePriority(int priorityOf8) => Math.Clamp(priorityOf8, 0, 7) * (LowestPriority + 1) / 8;

    /// <summary>The status to put on the wire: codes this version lacks become PROTOCOL_ERROR.</summary>
    public RstStatus ToWireStatus(RstStatus status) => status <= MaxRstStatus ? status : RstStatus.ProtocolError;

    internal abstract SettingsEntry ReadSettingsEntry(ReadOnlySpan<byte> entry);

    internal abstract void WriteSettingsEntry(Span<byte> destination, SettingsEntry entry);

    // ---- HTTP layering: version-neutral request/response fields <-> this version's header names ----

    /// <summary>Builds a request's SYN_STREAM headers; <paramref name="extra"/> are copied after the special ones
    /// (connection-specific headers are dropped, spdy3 §3.2.1).</summary>
    public abstract HeaderList CreateRequestHeaders(SpdyRequestHead request, IEnumerable<KeyValuePair<string, string>>? extra = null);

    /// <summary>Reads the request fields; null members are missing headers.</summary>
    public SpdyRequestHead ReadRequest(HeaderList headers)
    {
        var line = ReadRequestLine(headers);
        return new SpdyRequestHead(line.Method, line.Scheme, line.Host, line.Path, line.Version);
    }

    /// <summary>The same fields as a struct: a server reads them per request and keeps none of them in this form.</summary>
    public abstract SpdyRequestLine ReadRequestLine(HeaderList headers);

    /// <summary>Builds SYN_REPLY headers ("200 OK" style status, HTTP/1.1 version).</summary>
    public HeaderList CreateResponseHeaders(int status, string? reason = null, IEnumerable<KeyValuePair<string, string>>? extra = null, string version = "HTTP/1.1") =>
        AddResponseHeaders(new HeaderList(), status, reason, extra, version);

    /// <summary>The same into <paramref name="headers"/> (empty: a new list, or one rented from the session).</summary>
    public HeaderList AddResponseHeaders(HeaderList headers, int status, string? reason = null, IEnumerable<KeyValuePair<string, string>>? extra = null,
        string version = "HTTP/1.1")
    {
        headers.Add(StatusHeader, reason is null && status == 200 ? "200 OK" : $"{status} {reason ?? ReasonPhrase(status)}".TrimEnd());
        headers.Add(VersionHeader, version);
        AddExtra(headers, extra);
        return headers;
    }

    /// <summary>Reads the status code (the leading integer of the status header), or null if absent or malformed.</summary>
    public SpdyResponseHead? ReadResponse(HeaderList headers) =>
        TryReadResponseLine(headers, out var line) ? new SpdyResponseHead(line.Status, line.Reason, line.Version) : null;

    /// <summary>The same fields as a struct (a client reads them per response and keeps none of them in this form);
    /// false when the status is absent or malformed. The usual "OK" reason is a shared string.</summary>
    public bool TryReadResponseLine(HeaderList headers, out SpdyResponseLine line)
    {
        line = default;
        var value = headers.Get(StatusHeader);
        if (value is null)
        {
            return false;
        }

        var space = value.IndexOf(' ');
        var codeText = space < 0 ? value.AsSpan() : value.AsSpan(0, space);
        if (!int.TryParse(codeText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
        {
            return false;
        }

        var reasonText = space < 0 ? ReadOnlySpan<char>.Empty : value.AsSpan(space + 1);
        var reason = reasonText.IsEmpty ? string.Empty : reasonText.SequenceEqual("OK") ? "OK" : reasonText.ToString();
        line = new SpdyResponseLine(code, reason, headers.Get(VersionHeader) ?? "HTTP/1.1");
        return true;
    }

    /// <summary>Headers of a pushed stream's SYN_STREAM: the resource's URL (v2: full `url`; v3: `:scheme`,
    /// `:host`, `:path`) plus status and version, since the pushed stream has no SYN_REPLY (spdy3 §3.3).</summary>
    public abstract HeaderList CreatePushHeaders(string scheme, string host, string path, int status = 200, IEnumerable<KeyValuePair<string, string>>? extra = null);

    /// <summary>True if a pushed SYN_STREAM names its resource: v2 `url`; v3 `:scheme`, `:host` and `:path`
    /// (spdy3 §3.3.2: otherwise the client resets the stream).</summary>
    public bool HasPushUrl(HeaderList headers) => PushUrlHeaders.All(headers.Contains);

    /// <summary>Headers that name a pushed resource.</summary>
    public abstract IReadOnlyList<string> PushUrlHeaders { get; }

    /// <summary>True for headers SPDY forbids (connection-specific HTTP/1.1 headers, spdy3 §3.2.1).</summary>
    public static bool IsConnectionSpecific(string name) =>
        name.Equals("connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
        || name.Equals("proxy-connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for names the version reserves for the request/response line (they cannot come from
    /// an application's header collection): v2 `method`, `url`, `version`, `status`, `scheme`, `host`;
    /// v3 every `:name` and `host` (replaced by `:host`).</summary>
    public abstract bool IsReservedHeader(string name);

    protected void AddExtra(HeaderList headers, IEnumerable<KeyValuePair<string, string>>? extra)
    {
        if (extra is null)
        {
            return;
        }

        if (extra is IReadOnlyList<KeyValuePair<string, string>> list)
        {
            // Indexed: the server's response headers come as a list, and foreach over the interface boxes an enumerator.
            for (var i = 0; i < list.Count; i++)
            {
                AddExtra(headers, list[i]);
            }

            return;
        }

        foreach (var header in extra)
        {
            AddExtra(headers, header);
        }
    }

    private void AddExtra(HeaderList headers, KeyValuePair<string, string> header)
    {
        if (IsConnectionSpecific(header.Key) || IsReservedHeader(HeaderList.LowerAscii(header.Key)))
        {
            return;
        }

        headers.Add(header.Key, header.Value);
    }

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => string.Empty,
    };

    private sealed class Spdy2Profile : SpdyProtocolProfile
    {
        public override SpdyVersion Version => SpdyVersion.Spdy2;

        public override ushort WireVersion => 2;

        public override string AlpnId => "spdy/2";

        public override int HeaderLengthFieldSize => 2;

        public override ReadOnlyMemory<byte> Dictionary => SpdyDictionaries.Spdy2;

        public override int LowestPriority => 3;

        public override int SynReplyPadding => 2;

        public override int GoAwayLength => 4;

        public override bool HasFlowControl => false;

        public override bool HasSessionFlowControl => false;

        public override bool HasNoop => true;

        public override bool HasCredential => false;

        public override RstStatus MaxRstStatus => RstStatus.FlowControlError;

        public override string MethodHeader => "method";

        public override string PathHeader => "url";

        public override string VersionHeader => "version";

        public override string HostHeader => "host";

        public override string SchemeHeader => "scheme";

        public override string StatusHeader => "status";

        public override IReadOnlyList<string> PushUrlHeaders { get; } = ["url"];

        public override bool IsReservedHeader(string name) => name is "method" or "url" or "version" or "status" or "scheme" or "host";

        // spdy2 › SYN_STREAM: "Pri: A 2-bit priority field", then 14 unused bits.
        public override byte EncodePriority(int priority) => (byte)((Math.Clamp(priority, 0, 3) & 0x3) << 6);

        public override int DecodePriority(byte priorityByte) => priorityByte >> 6;

        // spdy2 › SETTINGS (and spec/README errata): the first implementation wrote the 24-bit ID
        // little-endian followed by the 8-bit flags; SPDY/2 keeps that layout.
        // +----------------------------------+
        // |    ID (24 bits, LE)  | ID_Flags(8)|
        // +----------------------------------+
        // |          Value (32 bits)         |
        // +----------------------------------+
        internal override SettingsEntry ReadSettingsEntry(ReadOnlySpan<byte> entry) =>
            new((SettingsId)(entry[0] | (entry[1] << 8) | (entry[2] << 16)), (SettingsEntryFlags)entry[3], BinaryPrimitives.ReadUInt32BigEndian(entry[4..]));

        internal override void WriteSettingsEntry(Span<byte> destination, SettingsEntry entry)
        {
            var id = (uint)entry.Id;
            destination[0] = (byte)id;
            destination[1] = (byte)(id >> 8);
            destination[2] = (byte)(id >> 16);
            destination[3] = (byte)entry.Flags;
            BinaryPrimitives.WriteUInt32BigEndian(destination[4..], entry.Value);
        }

        public override HeaderList CreateRequestHeaders(SpdyRequestHead request, IEnumerable<KeyValuePair<string, string>>? extra = null)
        {
            // spdy2 › Request: method, scheme, url, version; Chrome also sends host (vector V2-1).
            var headers = new HeaderList();
            headers.Add("method", request.Method ?? "GET");
            headers.Add("url", request.Path ?? "/");
            headers.Add("version", request.Version ?? "HTTP/1.1");
            if (request.Host is not null)
            {
                headers.Add("host", request.Host);
            }

            headers.Add("scheme", request.Scheme ?? "http");
            AddExtra(headers, extra);
            return headers;
        }

        public override SpdyRequestLine ReadRequestLine(HeaderList headers)
        {
            var url = headers.Get("url");
            var host = headers.Get("host");
            var scheme = headers.Get("scheme");
            var path = url;
            // SPDY/2 allows an absolute URL in `url` (pushes carry one): split it.
            if (url is not null && !url.StartsWith('/') && Uri.TryCreate(url, UriKind.Absolute, out var absolute))
            {
                path = absolute.PathAndQuery;
                host ??= absolute.IsDefaultPort ? absolute.Host : $"{absolute.Host}:{absolute.Port}";
                scheme ??= absolute.Scheme;
            }

            return new SpdyRequestLine(headers.Get("method"), scheme, host, path, headers.Get("version"));
        }

        public override HeaderList CreatePushHeaders(string scheme, string host, string path, int status = 200, IEnumerable<KeyValuePair<string, string>>? extra = null)
        {
            // spdy2 › Server Push Transactions: "url" carries the full URL of the pushed resource.
            var headers = new HeaderList();
            headers.Add("url", $"{scheme}://{host}{path}");
            headers.Add("status", $"{status} {ReasonPhrase(status)}".TrimEnd());
            headers.Add("version", "HTTP/1.1");
            AddExtra(headers, extra);
            return headers;
        }
    }

    private sealed class Spdy3Profile(SpdyVersion version) : SpdyProtocolProfile
    {
        public override SpdyVersion Version => version;

        public override ushort WireVersion => 3;

        public override string AlpnId => version == SpdyVersion.Spdy31 ? "spdy/3.1" : "spdy/3";

        public override int HeaderLengthFieldSize => 4;

        public override ReadOnlyMemory<byte> Dictionary => SpdyDictionaries.Spdy3;

        public override int LowestPriority => 7;

        public override int SynReplyPadding => 0;

        public override int GoAwayLength => 8;

        public override bool HasFlowControl => true;

        public override bool HasSessionFlowControl => version == SpdyVersion.Spdy31;

        public override bool HasNoop => false;

        public override bool HasCredential => version == SpdyVersion.Spdy3;

        public override RstStatus MaxRstStatus => RstStatus.FrameTooLarge;

        public override string MethodHeader => ":method";

        public override string PathHeader => ":path";

        public override string VersionHeader => ":version";

        public override string HostHeader => ":host";

        public override string SchemeHeader => ":scheme";

        public override string StatusHeader => ":status";

        public override IReadOnlyList<string> PushUrlHeaders { get; } = [":scheme", ":host", ":path"];

        public override bool IsReservedHeader(string name) => name.StartsWith(':') || name == "host";

        // spdy3 §2.6.1: "Pri (3 bits) | Unused (5 bits) | Slot (8 bits)".
        public override byte EncodePriority(int priority) => (byte)((Math.Clamp(priority, 0, 7) & 0x7) << 5);

        public override int DecodePriority(byte priorityByte) => priorityByte >> 5;

        // spdy3 §2.6.4:
        // +----------------------------------+
        // | Flags(8) |      ID (24 bits)     |
        // +----------------------------------+
        // |          Value (32 bits)         |
        // +----------------------------------+
        internal override SettingsEntry ReadSettingsEntry(ReadOnlySpan<byte> entry) =>
            new((SettingsId)((entry[1] << 16) | (entry[2] << 8) | entry[3]), (SettingsEntryFlags)entry[0], BinaryPrimitives.ReadUInt32BigEndian(entry[4..]));

        internal override void WriteSettingsEntry(Span<byte> destination, SettingsEntry entry)
        {
            var id = (uint)entry.Id;
            destination[0] = (byte)entry.Flags;
            destination[1] = (byte)(id >> 16);
            destination[2] = (byte)(id >> 8);
            destination[3] = (byte)id;
            BinaryPrimitives.WriteUInt32BigEndian(destination[4..], entry.Value);
        }

        public override HeaderList CreateRequestHeaders(SpdyRequestHead request, IEnumerable<KeyValuePair<string, string>>? extra = null)
        {
            // spdy3 §3.2.1: :method, :path, :version, :host, :scheme are all required.
            var headers = new HeaderList();
            headers.Add(":method", request.Method ?? "GET");
            headers.Add(":path", request.Path ?? "/");
            headers.Add(":version", request.Version ?? "HTTP/1.1");
            headers.Add(":host", request.Host ?? string.Empty);
            headers.Add(":scheme", request.Scheme ?? "http");
            AddExtra(headers, extra);
            return headers;
        }

        public override SpdyRequestLine ReadRequestLine(HeaderList headers) =>
            new(headers.Get(":method"), headers.Get(":scheme"), headers.Get(":host"), headers.Get(":path"), headers.Get(":version"));

        public override HeaderList CreatePushHeaders(string scheme, string host, string path, int status = 200, IEnumerable<KeyValuePair<string, string>>? extra = null)
        {
            // spdy3 §3.3.1: a pushed SYN_STREAM carries :scheme, :host, :path; status and version ride along.
            var headers = new HeaderList();
            headers.Add(":scheme", scheme);
            headers.Add(":host", host);
            headers.Add(":path", path);
            headers.Add(":status", $"{status} {ReasonPhrase(status)}".TrimEnd());
            headers.Add(":version", "HTTP/1.1");
            AddExtra(headers, extra);
            return headers;
        }
    }
}

/// <summary>Version-neutral request line fields. Null means the header was absent.</summary>
public sealed record SpdyRequestHead(string? Method, string? Scheme, string? Host, string? Path, string? Version = "HTTP/1.1")
{
    /// <summary>True when every field the version requires is present (spdy3 §3.2.1: missing -> 400).</summary>
    public bool IsComplete => Method is not null && Path is not null && Version is not null && Scheme is not null;
}

/// <summary>The request line fields of a header block (<see cref="SpdyProtocolProfile.ReadRequestLine"/>). Null means absent.</summary>
public readonly record struct SpdyRequestLine(string? Method, string? Scheme, string? Host, string? Path, string? Version);

/// <summary>The status line fields of a reply (<see cref="SpdyProtocolProfile.TryReadResponseLine"/>).</summary>
public readonly record struct SpdyResponseLine(int Status, string Reason, string Version);

/// <summary>Version-neutral response status line.</summary>
public sealed record SpdyResponseHead(int Status, string Reason, string Version);

/// <summary>One SETTINGS entry (id, per-entry flags, 32-bit value).</summary>
public readonly record struct SettingsEntry(SettingsId Id, SettingsEntryFlags Flags, uint Value);
