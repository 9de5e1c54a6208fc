namespace SpdyLab.Sites.Snapshots;

/// <summary>
/// Where snapshots live: the shipped corpus (read-only, in the repository) and the user's sites folder
/// (imports and recordings). A name is looked up in the user's folder first, then in the corpus; a
/// path to a snapshot folder works everywhere a name does.
/// </summary>
public sealed class SiteCatalog(string corpusFolder, string userFolder)
{
    public string CorpusFolder { get; } = corpusFolder;
    public string UserFolder { get; } = userFolder;

    public sealed record Entry(string Name, string Directory, bool Shipped);

    public IReadOnlyList<Entry> List()
    {
        var entries = new List<Entry>();
        foreach (var (folder, shipped) in new[] { (UserFolder, false), (CorpusFolder, true) })
        {
            if (!System.IO.Directory.Exists(folder))
            {
                continue;
            }
            foreach (var dir in System.IO.Directory.GetDirectories(folder).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(dir);
                if (!name.StartsWith('.') && File.Exists(Path.Combine(dir, Snapshot.ManifestFileName)) && entries.All(e => e.Name != name))
                {
                    entries.Add(new Entry(name, dir, shipped));
                }
            }
        }
        return entries;
    }

    /// <summary>The folder of a snapshot named <paramref name="nameOrDirectory"/>, or null.</summary>
    public string? Find(string nameOrDirectory)
    {
        if (System.IO.Directory.Exists(nameOrDirectory) && File.Exists(Path.Combine(nameOrDirectory, Snapshot.ManifestFileName)))
        {
            return Path.GetFullPath(nameOrDirectory);
        }
        if (!IsValidName(nameOrDirectory))
        {
            return null;
        }
        return List().FirstOrDefault(e => e.Name == nameOrDirectory)?.Directory;
    }

    /// <summary>Names are folder names: letters, digits, '.', '-', '_' (no separators, no "..").</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 100 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_') && name.Trim('.').Length > 0 && !name.Contains("..");

    public string UserPath(string name) =>
        IsValidName(name) ? Path.Combine(UserFolder, name) : throw new ArgumentException($"'{name}' is not a valid snapshot name (letters, digits, '.', '-', '_')");
}
