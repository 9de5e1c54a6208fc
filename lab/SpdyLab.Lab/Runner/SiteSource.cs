namespace SpdyLab.Lab.Runner;

/// <summary>
/// Where the lab finds sites by name: the shipped corpus (sites/corpus/NAME in the repository) and the
/// user's imported snapshots ($SPDYLAB_HOME/sites/NAME). A user's snapshot of the same name wins.
/// </summary>
public static class SiteSource
{
    public static string CorpusDirectory => Path.Combine(LabPaths.RepositoryRoot, "sites", "corpus");
    public static string UserDirectory => Path.Combine(LabPaths.Home, "sites");

    /// <summary>Every site name, sorted.</summary>
    public static IReadOnlyList<string> List() =>
        new[] { CorpusDirectory, UserDirectory }
            .Where(Directory.Exists)
            .SelectMany(Directory.GetDirectories)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => !name.StartsWith('.'))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>The site's folder, or null when no site has that name.</summary>
    public static string? Find(string name)
    {
        foreach (var root in new[] { UserDirectory, CorpusDirectory })
        {
            var directory = Path.Combine(root, name);
            if (Directory.Exists(directory)) return directory;
        }
        return null;
    }

    /// <summary>The corpus's sites, or a usage error when there are none.</summary>
    public static IReadOnlyList<string> ListOrFail()
    {
        var all = List();
        if (all.Count == 0)
        {
            throw new Commands.UsageException(
                $"sites: 'all' needs the corpus, and none was found in {CorpusDirectory} or {UserDirectory}; generate it (./spdylab sites) or list sites by name");
        }
        return all;
    }
}
