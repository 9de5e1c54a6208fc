using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Import;

/// <summary>Chooses the importer for a file or folder.</summary>
public static class Importers
{
    public static readonly string[] Formats = ["har", "wpr", "mahimahi"];

    public static SnapshotBuilder Import(string path, string name, string? format = null)
    {
        format ??= Detect(path);
        return format.ToLowerInvariant() switch
        {
            "har" => HarImporter.Import(path, name),
            "wpr" or "wprgo" => WprImporter.Import(path, name),
            "mahimahi" => MahimahiImporter.Import(path, name),
            _ => throw new SnapshotFormatException($"--format: '{format}' is not known; accepted: {string.Join(", ", Formats)}"),
        };
    }

    public static string Detect(string path)
    {
        if (Directory.Exists(path))
        {
            return "mahimahi";
        }
        if (path.EndsWith(".har", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return "har";
        }
        if (path.EndsWith(".wprgo", StringComparison.OrdinalIgnoreCase))
        {
            return "wpr";
        }
        using var file = File.OpenRead(path);
        var head = new byte[4];
        var n = file.Read(head);
        if (n >= 2 && head[0] == 0x1F && head[1] == 0x8B)
        {
            return "wpr";
        }
        return "har";
    }

    /// <summary>A snapshot name from a file name: "www.google.cz_2010-01-02_firebug.har" -> "www.google.cz_2010-01-02_firebug".</summary>
    public static string DefaultName(string path)
    {
        var name = Path.GetFileName(Path.GetFullPath(path).TrimEnd('/', '\\'));
        foreach (var extension in new[] { ".har", ".wprgo", ".json" })
        {
            if (name.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
            {
                name = name[..^extension.Length];
            }
        }
        var clean = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray()).Trim('.');
        return clean.Length == 0 ? "imported" : clean[..Math.Min(100, clean.Length)];
    }
}
