using System.Text.Json;

namespace SpdyLab.Sites.Snapshots;

/// <summary>
/// Collects exchanges and their bodies, then writes a snapshot folder atomically: everything goes to
/// a temporary sibling folder that is renamed into place only when complete, so a failure leaves
/// nothing half-written.
/// </summary>
public sealed partial class SnapshotBuilder
{
    readonly Dictionary<string, byte[]> _bodies = new(StringComparer.Ordinal);

    public SnapshotBuilder(string name)
    {
        Manifest = new SnapshotManifest { Name = name };
    }

    public SnapshotManifest Manifest { get; }

    /// <summary>Adds an exchange (its id is assigned in order) with its body as sent on the wire.</summary>
    public ExchangeRecord Add(ExchangeRecord exchange, ReadOnlySpan<byte> body)
    {
        exchange.Id = Manifest.Exchanges.Count;
        SetBody(exchange, body);
        Manifest.Exchanges.Add(exchange);
        return exchange;
    }

    public void SetBody(ExchangeRecord exchange, ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            exchange.Body = null;
            exchange.BodySize = 0;
            return;
        }
        var reference = Snapshot.BodyReference(body);
        _bodies.TryAdd(reference, body.ToArray());
        exchange.Body = reference;
        exchange.BodySize = body.Length;
    }

    public Snapshot Build() => Snapshot.FromMemory(Manifest, _bodies.Where(b => Manifest.Exchanges.Any(e => e.Body == b.Key)).ToDictionary());

    /// <summary>Writes the snapshot to <paramref name="directory"/>, which must not exist unless
    /// <paramref name="replace"/> is set; returns the loaded (verified) snapshot.</summary>
    public Snapshot WriteTo(string directory, bool replace = false)
    {
        var snapshot = Build(); // validates before anything touches the disk
        var target = Path.GetFullPath(directory);
        if (Directory.Exists(target) && !replace)
        {
            throw new IOException($"{target} already exists");
        }
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            WriteFolder(temp, snapshot);
            if (Directory.Exists(target))
            {
                var old = temp + ".old";
                Directory.Move(target, old);
                Directory.Move(temp, target);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temp, target);
            }
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
        return Snapshot.Load(target);
    }

    static void WriteFolder(string folder, Snapshot snapshot)
    {
        var bodies = Path.Combine(folder, Snapshot.BodiesFolderName);
        Directory.CreateDirectory(bodies);
        foreach (var reference in snapshot.Exchanges.Select(e => e.Body).OfType<string>().Distinct().Order(StringComparer.Ordinal))
        {
            var exchange = snapshot.Exchanges.First(e => e.Body == reference);
            File.WriteAllBytes(Snapshot.BodyPath(folder, reference)!, snapshot.BodyOf(exchange).ToArray());
        }
        File.WriteAllText(Path.Combine(folder, Snapshot.ManifestFileName), ManifestJson(snapshot.Manifest));
    }

    /// <summary>The manifest as indented JSON with each header pair on one line ("[name, value]").</summary>
    public static string ManifestJson(SnapshotManifest manifest)
    {
        var json = JsonSerializer.Serialize(manifest, SnapshotManifest.JsonOptions).ReplaceLineEndings("\n");
        return HeaderPair().Replace(json, "[$1, $2]") + "\n";
    }

    [System.Text.RegularExpressions.GeneratedRegex("\\[\n\\s*(\"(?:[^\"\\\\]|\\\\.)*\"),\n\\s*(\"(?:[^\"\\\\]|\\\\.)*\")\n\\s*\\]")]
    private static partial System.Text.RegularExpressions.Regex HeaderPair();
}
