using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using SpdyLab.Sites.Corpus;
using SpdyLab.Sites.Snapshots;
using SpdyLab.Sites.Tests.Images;

namespace SpdyLab.Sites.Tests.Corpus;

/// <summary>The committed corpus (sites/corpus) against PROFILE.md, its bodies, and its regeneration.</summary>
public class CorpusTests
{
    static readonly Lazy<IReadOnlyList<Snapshot>> Committed = new(() =>
        Directory.GetDirectories(CorpusFolder).Where(d => File.Exists(Path.Combine(d, "manifest.json"))).Order(StringComparer.Ordinal).Select(Snapshot.Load).ToList());

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SpdyLab.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("SpdyLab.sln not found above " + AppContext.BaseDirectory);
    }

    static string CorpusFolder => Path.Combine(RepositoryRoot(), "sites", "corpus");

    [Test]
    public void Corpus_Has25SitesNamedAfter2009TopSites()
    {
        Assert.That(Committed.Value.Select(s => s.Name), Is.EquivalentTo(SiteSpecs.All.Select(s => s.Name)));
    }

    [Test]
    public void Corpus_PerPageMeans_MatchTheProfile()
    {
        var figures = Committed.Value.Select(SiteFigures.Measure).ToList();
        var mean = SiteFigures.Mean(figures);
        Assert.Multiple(() =>
        {
            // Counts and content sizes are scaled to the profile exactly (within rounding).
            Assert.That(figures.Average(f => f.Gets), Is.EqualTo(ProfileTargets.GetsPerPage).Within(0.1), "GETs per page");
            Assert.That(figures.Average(f => f.Hosts), Is.EqualTo(ProfileTargets.HostsPerPage).Within(0.1), "hosts per page");
            Assert.That(figures.Average(f => f.Images), Is.EqualTo(ProfileTargets.ImagesPerPage).Within(0.1), "images per page");
            Assert.That(figures.Average(f => f.Scripts), Is.EqualTo(ProfileTargets.ScriptsPerPage).Within(0.1), "scripts per page");
            Assert.That(figures.Average(f => f.Stylesheets), Is.EqualTo(ProfileTargets.StylesheetsPerPage).Within(0.1), "stylesheets per page");
            Assert.That(mean.ImageKB, Is.EqualTo(ProfileTargets.ImageKB).Within(1).Percent, "image KB");
            Assert.That(mean.ScriptKB, Is.EqualTo(ProfileTargets.ScriptKB).Within(1).Percent, "script KB");
            Assert.That(mean.CssKB, Is.EqualTo(ProfileTargets.CssKB).Within(1).Percent, "CSS KB");
            Assert.That(mean.CompressibleKB, Is.EqualTo(ProfileTargets.CompressibleKB).Within(1).Percent, "compressible KB");
            Assert.That(mean.UncompressedKB, Is.EqualTo(ProfileTargets.UncompressedKB).Within(1).Percent, "uncompressed KB");
            Assert.That(mean.CompressedShare, Is.EqualTo(ProfileTargets.CompressedShare).Within(0.01), "share of compressible bytes sent gzipped");
            // What gzip and header generation produce is measured, not set: looser bounds.
            Assert.That(mean.WireKB, Is.EqualTo(ProfileTargets.WireKB).Within(5).Percent, "KB on the wire");
            Assert.That(mean.MeanResponseHeaderBytes, Is.EqualTo(ProfileTargets.MeanResponseHeaderBytes).Within(10).Percent, "response header bytes");
            Assert.That(mean.MeanRequestHeaderBytes, Is.EqualTo(ProfileTargets.MeanRequestHeaderBytes).Within(10).Percent, "request header bytes");
            Assert.That((double)mean.RequestsWithCookie / mean.Requests, Is.EqualTo(ProfileTargets.CookieShare).Within(0.05), "share of requests with a cookie");
            Assert.That(mean.MeanCookieBytes, Is.EqualTo(ProfileTargets.MeanCookieBytes).Within(10).Percent, "cookie bytes");
            // Structure: a search page is small, a portal large.
            var google = figures.Single(f => f.Name == "google");
            var sina = figures.Single(f => f.Name == "sina");
            Assert.That(google.Gets, Is.LessThan(15));
            Assert.That(sina.Gets, Is.GreaterThan(60));
            Assert.That(sina.Hosts, Is.GreaterThan(12));
        });
    }

    [Test]
    public void Corpus_EveryImageDecodesAtItsRecordedSize()
    {
        var count = 0;
        foreach (var snapshot in Committed.Value)
        {
            foreach (var e in snapshot.Exchanges.Where(e => SiteFigures.Classify(e) == "image"))
            {
                var body = snapshot.BodyOf(e).ToArray();
                Assert.That(body, Has.Length.EqualTo(e.BodySize));
                Assert.DoesNotThrow(() => ImageValidator.Validate(e.ResponseHeader("Content-Type")!, body), $"{snapshot.Name}: {e.Url}");
                count++;
            }
        }
        Assert.That(count, Is.EqualTo(Committed.Value.Sum(s => SiteFigures.Measure(s).Images)));
    }

    [Test]
    public void Corpus_EveryResourceIsNamedInItsInitiatorsBody()
    {
        foreach (var snapshot in Committed.Value)
        {
            var byId = snapshot.Exchanges.ToDictionary(e => e.Id);
            Assert.That(snapshot.Exchanges[0].Initiator, Is.Null);
            foreach (var e in snapshot.Exchanges.Skip(1))
            {
                Assert.That(e.Initiator, Is.Not.Null, $"{snapshot.Name}: {e.Url} has no initiator");
                var parent = byId[e.Initiator!.Value];
                if (e.InitiatorType == "redirect")
                {
                    Assert.That(parent.ResponseHeader("Location"), Is.EqualTo(e.Url));
                    continue;
                }
                var text = Encoding.UTF8.GetString(SiteFigures.Decode(parent, snapshot.BodyOf(parent)).Span);
                var uri = new Uri(e.Url);
                var named = text.Contains(e.Url) || (uri.Host == parent.Host && text.Contains(e.Path));
                Assert.That(named, Is.True, $"{snapshot.Name}: {e.Url} is not referenced by its initiator {parent.Url} ({e.InitiatorType})");
                var expected = SiteFigures.Classify(parent) switch { "css" => "css", "script" => "script", _ => e.InitiatorType };
                Assert.That(e.InitiatorType, Is.EqualTo(expected));
            }
        }
    }

    /// <summary>
    /// A browser fetches a CSS background image only when a rule using it matches an element, and a
    /// recording holds only what the browser fetched: so every url() of a corpus stylesheet that names a
    /// resource of the snapshot must sit in a rule whose selector matches an element of its document.
    /// </summary>
    [Test]
    public void Corpus_EveryCssImageRule_MatchesAnElementOfItsDocument()
    {
        var parser = new HtmlParser();
        var unmatched = new List<string>();
        var checkedRules = 0;
        foreach (var snapshot in Committed.Value)
        {
            var byId = snapshot.Exchanges.ToDictionary(e => e.Id);
            var urls = snapshot.Exchanges.Select(e => e.Url).ToHashSet(StringComparer.Ordinal);
            var documents = new Dictionary<int, IHtmlDocument>();
            foreach (var sheet in snapshot.Exchanges.Where(e => SiteFigures.Classify(e) == "css" && e.Body is not null))
            {
                var page = sheet;
                while (page.Initiator is { } parent && page.Type != "document")
                {
                    page = byId[parent];
                }
                Assert.That(page.Type, Is.EqualTo("document"), $"{snapshot.Name}: {sheet.Url} has no document above it");
                if (!documents.TryGetValue(page.Id, out var document))
                {
                    document = parser.ParseDocument(Encoding.UTF8.GetString(SiteFigures.Decode(page, snapshot.BodyOf(page)).Span));
                    documents[page.Id] = document;
                }
                var css = Encoding.UTF8.GetString(SiteFigures.Decode(sheet, snapshot.BodyOf(sheet)).Span);
                foreach (var (selector, url) in CssUrlRules(css, new Uri(sheet.Url)))
                {
                    if (!urls.Contains(url))
                    {
                        continue;
                    }
                    checkedRules++;
                    if (!SelectorMatches(document, selector))
                    {
                        unmatched.Add($"{snapshot.Name}: {sheet.Url}: '{selector}' (url {url})");
                    }
                }
            }
        }
        Assert.That(checkedRules, Is.GreaterThan(25), "the corpus's stylesheets reference snapshot images");
        Assert.That(unmatched, Is.Empty, $"{unmatched.Count} of {checkedRules} CSS rules with a snapshot url() match no element, e.g.\n" + string.Join("\n", unmatched.Take(5)));
    }

    /// <summary>Each (selector list, absolute URL) of a rule with a url() in a flat stylesheet (no @media nesting in the corpus).</summary>
    static IEnumerable<(string Selector, string Url)> CssUrlRules(string css, Uri sheetUrl)
    {
        css = Regex.Replace(css, @"/\*.*?\*/", "", RegexOptions.Singleline);
        foreach (Match rule in Regex.Matches(css, @"([^{}]+)\{([^{}]*)\}"))
        {
            foreach (Match url in Regex.Matches(rule.Groups[2].Value, @"url\(\s*['""]?([^'"")]+?)['""]?\s*\)"))
            {
                yield return (rule.Groups[1].Value.Trim(), new Uri(sheetUrl, url.Groups[1].Value).AbsoluteUri);
            }
        }
    }

    /// <summary>Whether any selector of the list matches an element, pseudo-classes (:hover, ::before) stripped as a browser's fetch decision ignores them.</summary>
    static bool SelectorMatches(IHtmlDocument document, string selectorList)
    {
        foreach (var selector in selectorList.Split(','))
        {
            var plain = Regex.Replace(selector, @"::?[A-Za-z-]+(\([^)]*\))?", "").Trim();
            if (plain.Length > 0 && document.QuerySelector(plain) is not null)
            {
                return true;
            }
        }
        return false;
    }

    [Test]
    public void Corpus_ScriptsInsertResources()
    {
        var inserted = Committed.Value.Sum(s => s.Exchanges.Count(e => e.InitiatorType == "script"));
        var fromCss = Committed.Value.Sum(s => s.Exchanges.Count(e => e.InitiatorType == "css"));
        Assert.That(inserted, Is.GreaterThan(25));
        Assert.That(fromCss, Is.GreaterThan(25));
    }

    [Test, CancelAfter(120_000)]
    public void Generate_SameSeed_IsByteIdenticalToTheCommittedCorpus()
    {
        var temp = TestSnapshots.TempFolder();
        try
        {
            CorpusGenerator.WriteCorpus(Path.Combine(temp, "corpus"));
            var fresh = Files(Path.Combine(temp, "corpus"));
            var committed = Files(CorpusFolder);
            Assert.That(fresh.Keys, Is.EquivalentTo(committed.Keys), "the same files");
            foreach (var (name, path) in fresh)
            {
                Assert.That(File.ReadAllBytes(path).AsSpan().SequenceEqual(File.ReadAllBytes(committed[name])), Is.True,
                    $"{name} differs from the committed corpus: run './spdylab sites generate' and commit, or find what made generation non-deterministic");
            }
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    static Dictionary<string, string> Files(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(p => Path.GetRelativePath(root, p), p => p);
}
