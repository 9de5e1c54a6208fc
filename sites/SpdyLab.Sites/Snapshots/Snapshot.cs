using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SpdyLab.Sites.Snapshots;

/// <summary>
/// A loaded, verified snapshot: the manifest plus every body in memory. Loading checks the format
/// name and version, every entry's fields, that each body file exists inside the snapshot folder and
/// that its SHA-256 and size match the manifest.
/// </summary>
public sealed partial class Snapshot
{
    public const string ManifestFileName = "manifest.json";
    public const string BodiesFolderName = "bodies";

    readonly Dictionary<string, byte[]> _bodies;

    Snapshot(string? directory, SnapshotManifest manifest, Dictionary<string, byte[]> bodies)
    {
        Directory = directory;
        Manifest = manifest;
        _bodies = bodies;
    }

    /// <summary>The folder it was loaded from (null for one built in memory).</summary>
    public string? Directory { get; }
    public SnapshotManifest Manifest { get; }
    public string Name => Manifest.Name;
    public IReadOnlyList<ExchangeRecord> Exchanges => Manifest.Exchanges;

    /// <summary>The body as sent on the wire (content-coding applied); empty when the exchange has none.</summary>
    public ReadOnlyMemory<byte> BodyOf(ExchangeRecord exchange) =>
        exchange.Body is { } reference ? _bodies[reference] : ReadOnlyMemory<byte>.Empty;

    /// <summary>The page's document: the exchange whose URL is the manifest's page, else the first.</summary>
    public ExchangeRecord? PageExchange =>
        Exchanges.FirstOrDefault(e => Manifest.Page is { } page && e.Url == page) ?? Exchanges.FirstOrDefault();

    public static string BodyReference(ReadOnlySpan<byte> body) => "sha256-" + Convert.ToHexStringLower(SHA256.HashData(body));

    [GeneratedRegex("^sha256-([0-9a-f]{64})$")]
    private static partial Regex BodyReferencePattern();

    /// <summary>The body file's path for a reference, or null when the reference is not a well-formed hash
    /// (so no reference can name a path outside the bodies folder).</summary>
    public static string? BodyPath(string snapshotDirectory, string reference)
    {
        var match = BodyReferencePattern().Match(reference);
        if (!match.Success)
        {
            return null;
        }
        var bodies = Path.GetFullPath(Path.Combine(snapshotDirectory, BodiesFolderName));
        var path = Path.GetFullPath(Path.Combine(bodies, match.Groups[1].Value));
        return path.StartsWith(bodies + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? path : null;
    }

    /// <summary>Builds a snapshot in memory (for tests and importers); bodies are keyed by reference.</summary>
    public static Snapshot FromMemory(SnapshotManifest manifest, IReadOnlyDictionary<string, byte[]> bodies)
    {
        Validate(manifest, "(in memory)", reference => bodies.TryGetValue(reference, out var b) ? b : null);
        return new Snapshot(null, manifest, new Dictionary<string, byte[]>(bodies));
    }

    public static Snapshot Load(string directory)
    {
        var manifestPath = Path.Combine(directory, ManifestFileName);
        if (!File.Exists(manifestPath))
        {
            throw new SnapshotFormatException($"{manifestPath}: no such file (a snapshot folder holds {ManifestFileName} and {BodiesFolderName}/)");
        }
        SnapshotManifest? manifest;
        try
        {
            using var stream = File.OpenRead(manifestPath);
            manifest = JsonSerializer.Deserialize<SnapshotManifest>(stream, SnapshotManifest.JsonOptions);
        }
        catch (JsonException e)
        {
            throw new SnapshotFormatException($"{manifestPath}: not a valid manifest at line {e.LineNumber + 1}, byte {e.BytePositionInLine}: {e.Message}", e);
        }
        if (manifest is null)
        {
            throw new SnapshotFormatException($"{manifestPath}: empty manifest");
        }
        var bodies = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        Validate(manifest, manifestPath, reference =>
        {
            if (bodies.TryGetValue(reference, out var cached))
            {
                return cached;
            }
            var path = BodyPath(directory, reference);
            if (path is null || !File.Exists(path))
            {
                return null;
            }
            var bytes = File.ReadAllBytes(path);
            if (BodyReference(bytes) != reference)
            {
                throw new SnapshotFormatException($"{path}: content does not match its name (corrupted body file)");
            }
            bodies[reference] = bytes;
            return bytes;
        });
        return new Snapshot(Path.GetFullPath(directory), manifest, bodies);
    }

    static void Validate(SnapshotManifest manifest, string where, Func<string, byte[]?> body)
    {
        if (manifest.Format != SnapshotManifest.FormatName)
        {
            throw new SnapshotFormatException($"{where}: format is '{manifest.Format}', expected '{SnapshotManifest.FormatName}'");
        }
        if (manifest.Version != SnapshotManifest.CurrentVersion)
        {
            throw new SnapshotFormatException($"{where}: schema version {manifest.Version} is not supported (this build reads version {SnapshotManifest.CurrentVersion})");
        }
        var ids = new HashSet<int>();
        for (var i = 0; i < manifest.Exchanges.Count; i++)
        {
            var e = manifest.Exchanges[i];
            var entry = $"{where}: exchanges[{i}] (id {e.Id}, {e.Method} {e.Url})";
            if (!ids.Add(e.Id))
            {
                throw new SnapshotFormatException($"{entry}: duplicate id");
            }
            if (string.IsNullOrEmpty(e.Method) || string.IsNullOrEmpty(e.Host) || e.Scheme is not ("http" or "https"))
            {
                throw new SnapshotFormatException($"{entry}: method, host and scheme (http or https) are required");
            }
            if (!e.Path.StartsWith('/'))
            {
                throw new SnapshotFormatException($"{entry}: path '{e.Path}' must start with '/'");
            }
            if (e.Status is < 100 or > 999)
            {
                throw new SnapshotFormatException($"{entry}: status {e.Status} is not an HTTP status");
            }
            foreach (var header in e.RequestHeaders.Concat(e.ResponseHeaders))
            {
                if (header is null || header.Length != 2 || string.IsNullOrEmpty(header[0]) || header[1] is null)
                {
                    throw new SnapshotFormatException($"{entry}: every header must be a [name, value] pair");
                }
            }
            if (e.Body is { } reference)
            {
                if (BodyReferencePattern().IsMatch(reference) is false)
                {
                    throw new SnapshotFormatException($"{entry}: body reference '{reference}' is not 'sha256-' followed by 64 lower-case hex digits");
                }
                var bytes = body(reference)
                    ?? throw new SnapshotFormatException($"{entry}: body file {BodiesFolderName}/{reference["sha256-".Length..]} is missing");
                if (bytes.Length != e.BodySize)
                {
                    throw new SnapshotFormatException($"{entry}: bodySize {e.BodySize} but the body file holds {bytes.Length} bytes");
                }
            }
            else if (e.BodySize != 0)
            {
                throw new SnapshotFormatException($"{entry}: bodySize {e.BodySize} without a body reference");
            }
        }
        foreach (var e in manifest.Exchanges)
        {
            if (e.Initiator is { } initiator && !ids.Contains(initiator))
            {
                throw new SnapshotFormatException($"{where}: exchange id {e.Id} ({e.Url}): initiator {initiator} is not an exchange of this snapshot");
            }
        }
    }
}
