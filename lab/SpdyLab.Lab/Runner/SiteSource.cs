using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Runner;

/// <summary>
/// The runner's sites come from the one catalog (<see cref="SiteCatalog"/>, placed by
/// <see cref="Commands.SitesCommand.Catalog"/>: the user's $SPDYLAB_HOME/sites before the shipped corpus,
/// folders with a manifest only), so `spdylab sites`, `load` and experiments agree on what a name means.
/// </summary>
public static class SiteSource
{
    /// <summary>Every snapshot name (for "sites: all"), sorted, or a usage error when there is none.</summary>
    public static IReadOnlyList<string> ListOrFail()
    {
        var catalog = Commands.SitesCommand.Catalog();
        var all = catalog.List().Select(e => e.Name).Order(StringComparer.Ordinal).ToList();
        if (all.Count == 0)
        {
            throw new Commands.UsageException(
                $"sites: 'all' needs the corpus, and no snapshot was found in {catalog.CorpusFolder} or {catalog.UserFolder}; generate it (./spdylab sites) or list sites by name");
        }
        return all;
    }
}
