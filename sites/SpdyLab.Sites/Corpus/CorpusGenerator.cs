using System.IO.Compression;
using System.Text;
using SpdyLab.Sites.Images;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Corpus;

/// <summary>
/// Generates the shipped corpus: 25 sites of 2009 (see <see cref="SiteSpecs"/>), each one page with real
/// bodies (HTML that references its subresources, CSS with url() images, scripts that insert beacons,
/// ads, iframes and XHRs, decodable images), scaled so the corpus's per-page means equal PROFILE.md's.
/// Seeded and deterministic: the same seed gives the same bytes.
/// </summary>
public static class CorpusGenerator
{
    public const ulong DefaultSeed = 2009;

    const string UserAgent = "Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.9.1.5) Gecko/20091102 Firefox/3.5.5 (.NET CLR 3.5.30729)";

    sealed class Resource
    {
        public required string Kind; // document, stylesheet, script, image, xhr, object, iframe, redirect
        public required string Host;
        public string Path = "/";
        public Resource? Initiator;
        public string? InitiatorType;
        public int TargetSize;
        public readonly List<Resource> Children = [];
        public ImageFormat Format;
        public int Width, Height;
        public bool Beacon;
        public Resource? RedirectTo;
        public byte[] Content = [];
        public string ContentType = "";
        public bool Compress;
        public string Url => $"http://{Host}{Path}";
        public bool IsText => Kind is "document" or "iframe" or "stylesheet" or "script" or "xhr";
    }

    sealed class Site
    {
        public required SiteSpec Spec;
        public required int Index;
        public required Prng Random;
        public readonly List<Resource> Resources = [];
        public Resource Document => Resources[0];
        public readonly Dictionary<string, int> CookieBytesByHost = new(StringComparer.Ordinal);
        public readonly HashSet<string> UsedPaths = new(StringComparer.Ordinal);
    }

    /// <summary>Builds every site in memory.</summary>
    public static IReadOnlyList<SnapshotBuilder> Generate(ulong seed = DefaultSeed)
    {
        var root = new Prng(seed);
        var specs = SiteSpecs.All;
        var n = specs.Count;
        int Total(double perPage) => (int)Math.Round(perPage * n, MidpointRounding.AwayFromZero);

        var images = Apportion(specs.Select(s => (double)s.Images).ToArray(), Total(ProfileTargets.ImagesPerPage));
        var scripts = Apportion(specs.Select(s => (double)s.Scripts).ToArray(), Total(ProfileTargets.ScriptsPerPage));
        var styles = Apportion(specs.Select(s => (double)s.Styles).ToArray(), Total(ProfileTargets.StylesheetsPerPage));
        var otherTotal = Total(ProfileTargets.GetsPerPage) - n - images.Sum() - scripts.Sum() - styles.Sum();
        var others = Apportion(specs.Select(s => (double)Math.Max(1, s.Gets - 1 - s.Images - s.Scripts - s.Styles)).ToArray(), otherTotal);
        var hosts = Apportion(specs.Select(s => (double)s.Hosts).ToArray(), Total(ProfileTargets.HostsPerPage));
        var imageKB = Scale(specs.Select(s => s.ImageKB).ToArray(), ProfileTargets.ImageKB * n);
        var scriptKB = Scale(specs.Select((s, i) => scripts[i] == 0 ? 0 : s.ScriptKB).ToArray(), ProfileTargets.ScriptKB * n);
        var cssKB = Scale(specs.Select((s, i) => styles[i] == 0 ? 0 : s.CssKB).ToArray(), ProfileTargets.CssKB * n);
        var htmlKB = Scale(specs.Select(s => s.HtmlKB).ToArray(), ProfileTargets.HtmlAndOtherTextKB * n);
        var flashKB = Scale(specs.Select(s => s.FlashKB).ToArray(), ProfileTargets.OtherKB * n);

        var sites = new List<Site>();
        for (var i = 0; i < n; i++)
        {
            var site = new Site { Spec = specs[i], Index = i, Random = root.Fork(specs[i].Name) };
            Plan(site, hosts[i], images[i], scripts[i], styles[i], others[i], imageKB[i] * 1024, scriptKB[i] * 1024, cssKB[i] * 1024, htmlKB[i] * 1024, flashKB[i] * 1024);
            sites.Add(site);
        }
        ScaleCookies(sites);
        foreach (var site in sites)
        {
            BuildBodies(site);
        }
        ChooseCompression(sites, root.Fork("compression"));
        return sites.Select(ToSnapshot).ToList();
    }

    /// <summary>Writes the corpus (every site and README.md) into <paramref name="folder"/>, replacing it
    /// atomically: the new corpus is written beside it and renamed into place.</summary>
    public static IReadOnlyList<Snapshot> WriteCorpus(string folder, ulong seed = DefaultSeed)
    {
        var target = Path.GetFullPath(folder);
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var snapshots = Generate(seed).Select(b => b.WriteTo(Path.Combine(temp, b.Manifest.Name))).ToList();
            File.WriteAllText(Path.Combine(temp, "README.md"), CorpusReadme.Render(snapshots, seed));
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
            return snapshots.Select(s => Snapshot.Load(Path.Combine(target, s.Name))).ToList();
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    // ---- planning: which resources, on which hosts, referenced by whom, how big ----

    static void Plan(Site site, int hostCount, int imageCount, int scriptCount, int styleCount, int otherCount,
        double imageBytes, double scriptBytes, double cssBytes, double htmlBytes, double flashBytes)
    {
        var spec = site.Spec;
        var random = site.Random;
        var thirdCount = Math.Max(0, hostCount - spec.OwnHosts.Length);
        if (thirdCount == 0 && hostCount >= 5 && scriptCount >= 2)
        {
            thirdCount = 1;
        }
        var own = spec.OwnHosts.Take(hostCount - thirdCount).ToList();
        var third = PickThirdParties(random, thirdCount);
        var main = own[0];
        var statics = own.Count > 1 ? own.Skip(1).ToList() : [main];

        // The site's cookie goes to its cookie hosts and to every own host under the page's domain.
        var domain = RegistrableDomain(main);
        foreach (var host in own.Where(h => spec.CookieHosts.Contains(h) || h == domain || h.EndsWith("." + domain, StringComparison.Ordinal)))
        {
            site.CookieBytesByHost[host] = spec.CookieBytes;
        }
        foreach (var (host, _, bytes) in third.Where(t => t.CookieBytes > 0))
        {
            site.CookieBytesByHost[host] = bytes;
        }

        var document = Add(site, new Resource { Kind = "document", Host = main, Path = "/" });

        // Stylesheets: on the static host (the first also on the page's host when there are several).
        var stylesheets = new List<Resource>();
        for (var i = 0; i < styleCount; i++)
        {
            var host = i == 0 && styleCount > 2 ? main : statics[i % statics.Count];
            stylesheets.Add(Child(site, document, "parser", new Resource { Kind = "stylesheet", Host = host }, $"/css/{{0}}.css?v={random.Next(1, 400)}"));
        }

        // Scripts: one for each third-party analytics or ad host, the rest on the site's own hosts.
        var scriptHosts = third.Where(t => t.Role is ThirdPartyRole.Analytics or ThirdPartyRole.Ads).ToList();
        var thirdScripts = Math.Min(scriptHosts.Count, scriptCount - (scriptCount >= 2 ? 1 : 0));
        var scriptList = new List<Resource>();
        var scriptOfThirdParty = new Dictionary<string, Resource>();
        for (var i = 0; i < scriptCount - thirdScripts; i++)
        {
            scriptList.Add(Child(site, document, "parser", new Resource { Kind = "script", Host = statics[(i + 1) % statics.Count] }, "/js/{0}.js"));
        }
        for (var i = 0; i < thirdScripts; i++)
        {
            var (host, role, _) = scriptHosts[i];
            var script = Child(site, document, "parser", new Resource { Kind = "script", Host = host }, role == ThirdPartyRole.Ads ? "/adj/{0}/;sz=300x250;ord=" + random.Next(100000, 999999) : "/{0}.js");
            scriptList.Add(script);
            scriptOfThirdParty[host] = script;
        }
        var ownScript = scriptList.FirstOrDefault(s => own.Contains(s.Host)) ?? scriptList.FirstOrDefault();
        var adScript = scriptList.FirstOrDefault(s => third.Any(t => t.Host == s.Host && t.Role == ThirdPartyRole.Ads));

        // Images owed to third parties: beacons and ads, inserted by scripts where there are scripts.
        var imagesLeft = imageCount;
        var adImages = new List<Resource>();
        foreach (var (host, role, _) in third)
        {
            if (imagesLeft == 0)
            {
                break;
            }
            var inserter = role switch
            {
                ThirdPartyRole.Analytics or ThirdPartyRole.Ads => scriptOfThirdParty.GetValueOrDefault(host) ?? ownScript,
                ThirdPartyRole.AdImages => adScript ?? ownScript,
                _ => ownScript,
            };
            var parent = inserter ?? document;
            var how = inserter is null ? "parser" : "script";
            var count = role is ThirdPartyRole.Ads or ThirdPartyRole.AdImages ? Math.Min(imagesLeft, random.Next(1, 3)) : 1;
            for (var k = 0; k < count; k++)
            {
                var beacon = role is ThirdPartyRole.Analytics or ThirdPartyRole.Beacon;
                var image = Child(site, parent, how, new Resource { Kind = "image", Host = host, Beacon = beacon },
                    beacon ? "/__utm.gif?utmwv=4.6.5&utmn=" + random.Next(100000000, 999999999) + "&utmhn={0}" : "/ads/{0}.jpg");
                if (!beacon)
                {
                    adImages.Add(image);
                }
                imagesLeft--;
            }
        }

        // The site's own images: some referenced by stylesheets, the rest by the page.
        var cssImages = styleCount > 0 ? (int)Math.Round(imagesLeft * 0.3) : 0;
        var imageHosts = own.Count > 2 ? own.Skip(1).ToList() : own;
        var htmlImages = new List<Resource>();
        var factory = new TextFactory(random);
        for (var i = 0; i < imagesLeft; i++)
        {
            // Pages concentrated their requests on one static host (PROFILE.md: median page, 18 of 33 GETs to one host).
            var host = random.Chance(0.55) ? imageHosts[0] : imageHosts[(i + site.Index) % imageHosts.Count];
            if (i < cssImages)
            {
                var sheet = stylesheets[i % stylesheets.Count];
                Child(site, sheet, "css", new Resource { Kind = "image", Host = host }, $"/a/i/{factory.Word()}/sprites/{{0}}.png");
            }
            else
            {
                htmlImages.Add(Child(site, document, "parser", new Resource { Kind = "image", Host = host }, $"/images/{factory.Word()}/2009/12/{random.Next(1, 16):D2}/{{0}}.jpg"));
            }
        }

        // Others: an ad iframe and a tracking redirect where there are ads, Flash where the site had it,
        // then XHRs for data.
        var kinds = new List<string>();
        if (adScript is not null) kinds.Add("iframe");
        if (adScript is not null && adImages.Count > 0) kinds.Add("redirect");
        if (flashBytes > 0) kinds.Add("object");
        while (kinds.Count < otherCount) kinds.Add(kinds.Count % 3 == 2 && adScript is not null ? "iframe" : "xhr");
        var otherList = new List<Resource>();
        foreach (var kind in kinds.Take(otherCount))
        {
            switch (kind)
            {
                case "iframe":
                    otherList.Add(Child(site, adScript ?? document, adScript is null ? "parser" : "script", new Resource { Kind = "iframe", Host = adScript?.Host ?? main }, "/adi/{0}/;sz=728x90;ord=" + random.Next(100000, 999999)));
                    break;
                case "redirect":
                {
                    // The ad script asks the ad server, which redirects to the creative on another host.
                    var creative = adImages[0];
                    var redirect = Child(site, creative.Initiator!, "script", new Resource { Kind = "redirect", Host = adScript!.Host, RedirectTo = creative }, "/click;h=v8/{0}/3/0/%2a/");
                    creative.Initiator!.Children.Remove(creative);
                    creative.Initiator = redirect;
                    creative.InitiatorType = "redirect";
                    redirect.Children.Add(creative);
                    otherList.Add(redirect);
                    break;
                }
                case "object":
                    otherList.Add(Child(site, document, "parser", new Resource { Kind = "object", Host = statics[0] }, "/swf/{0}.swf"));
                    break;
                default:
                    var parent = ownScript ?? document;
                    otherList.Add(Child(site, parent, "script", new Resource { Kind = "xhr", Host = main }, "/ajax/{0}?format=json&_=" + random.Next(100000, 999999)));
                    break;
            }
        }

        // Every own host serves something: give an idle one a page image.
        foreach (var host in own)
        {
            if (site.Resources.All(r => r.Host != host) && htmlImages.Count > 0)
            {
                var donor = htmlImages.FirstOrDefault(r => site.Resources.Count(x => x.Host == r.Host) > 1) ?? htmlImages[0];
                donor.Host = host;
            }
        }

        // Sizes.
        var allImages = site.Resources.Where(r => r.Kind == "image").ToList();
        foreach (var beacon in allImages.Where(r => r.Beacon))
        {
            beacon.TargetSize = 43;
        }
        var sized = allImages.Where(r => !r.Beacon).ToList();
        Distribute(random, sized, imageBytes - allImages.Count(r => r.Beacon) * 43, 1.1, 150, r => adImages.Contains(r) ? 3.0 : 1.0);
        Distribute(random, scriptList, scriptBytes, 0.8, 600, _ => 1.0);
        Distribute(random, stylesheets, cssBytes, 0.6, 400, _ => 1.0);
        var textOthers = otherList.Where(o => o.Kind is "iframe" or "xhr").ToList();
        foreach (var other in textOthers)
        {
            other.TargetSize = (int)Math.Max(900, htmlBytes * (other.Kind == "iframe" ? 0.05 : 0.025) * random.LogNormal(0.4));
        }
        Distribute(random, otherList.Where(o => o.Kind == "object").ToList(), flashBytes, 0.3, 200, _ => 1.0);
        document.TargetSize = (int)Math.Max(2000, htmlBytes - textOthers.Sum(o => o.TargetSize));

        foreach (var image in allImages)
        {
            image.Format = image.Beacon ? ImageFormat.Gif
                : image.TargetSize > 9000 ? (random.Chance(0.85) ? ImageFormat.Jpeg : ImageFormat.Png)
                : image.TargetSize > 2500 ? random.Pick([ImageFormat.Png, ImageFormat.Gif, ImageFormat.Jpeg])
                : random.Chance(0.6) ? ImageFormat.Gif : ImageFormat.Png;
            var extension = ImageFactory.Extension(image.Format);
            image.Path = System.Text.RegularExpressions.Regex.Replace(image.Path, @"\.(png|jpg)$", "." + extension);
            (image.Width, image.Height) = Dimensions(random, image);
        }
    }

    static (int, int) Dimensions(Prng random, Resource image)
    {
        if (image.Beacon)
        {
            return (1, 1);
        }
        if (image.Format == ImageFormat.Jpeg)
        {
            var (w, h) = random.Pick([(4, 3), (3, 2), (1, 1), (16, 9), (3, 4)]);
            var scale = Math.Sqrt(image.TargetSize * 3.0 / (w * h));
            return (Math.Max(8, (int)(w * scale) / 8 * 8), Math.Max(8, (int)(h * scale) / 8 * 8));
        }
        var side = (int)Math.Clamp(Math.Sqrt(image.TargetSize / 3.0), 4, 180);
        return (side + random.Next(0, side / 2 + 1), side);
    }

    static List<(string Host, ThirdPartyRole Role, int CookieBytes)> PickThirdParties(Prng random, int count)
    {
        var pool = SiteSpecs.ThirdParties.ToList();
        var picked = new List<(string, ThirdPartyRole, int)>();
        // Analytics first (nearly every site had it), then a deterministic shuffle of the rest.
        picked.Add(pool[0]);
        pool.RemoveAt(0);
        for (var i = pool.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        picked.AddRange(pool);
        picked = picked.Take(count).ToList();
        // Ad images need an ad server to ask for them.
        if (picked.Any(p => p.Item2 == ThirdPartyRole.AdImages) && picked.All(p => p.Item2 != ThirdPartyRole.Ads))
        {
            var index = picked.FindIndex(p => p.Item2 == ThirdPartyRole.AdImages);
            picked[index] = SiteSpecs.ThirdParties.First(t => t.Role == ThirdPartyRole.Ads && !picked.Contains(t));
        }
        // Ads first so their scripts exist before the hosts that depend on them.
        return picked.OrderBy(p => p.Item2 switch { ThirdPartyRole.Analytics => 0, ThirdPartyRole.Ads => 1, _ => 2 }).ToList();
    }

    static Resource Add(Site site, Resource resource)
    {
        site.Resources.Add(resource);
        return resource;
    }

    /// <summary>Adds a resource referenced by <paramref name="parent"/>; "{0}" in the path becomes a unique slug.</summary>
    static Resource Child(Site site, Resource parent, string how, Resource resource, string pathPattern)
    {
        var factory = new TextFactory(site.Random);
        string path;
        do
        {
            path = pathPattern.Replace("{0}", factory.Slug());
        }
        while (!site.UsedPaths.Add(resource.Host + path));
        resource.Path = path;
        resource.Initiator = parent;
        resource.InitiatorType = how;
        parent.Children.Add(resource);
        return Add(site, resource);
    }

    static void Distribute(Prng random, List<Resource> resources, double totalBytes, double sigma, int minimum, Func<Resource, double> bias)
    {
        if (resources.Count == 0)
        {
            return;
        }
        var weights = resources.Select(r => random.LogNormal(sigma) * bias(r)).ToArray();
        var sum = weights.Sum();
        var assigned = 0;
        for (var i = 0; i < resources.Count; i++)
        {
            resources[i].TargetSize = Math.Max(minimum, (int)(totalBytes * weights[i] / sum));
            assigned += resources[i].TargetSize;
        }
        // Put the rounding difference on the largest so the site's total is exact.
        var largest = resources.MaxBy(r => r.TargetSize)!;
        largest.TargetSize = Math.Max(minimum, largest.TargetSize + (int)Math.Round(totalBytes) - assigned);
    }

    /// <summary>Scales every cookie so the mean cookie on the wire is the profile's (the logged-in sizes of
    /// 2008 are the proportions between sites, not the means of anonymous visits).</summary>
    static void ScaleCookies(List<Site> sites)
    {
        double total = 0;
        var count = 0;
        foreach (var site in sites)
        {
            foreach (var r in site.Resources)
            {
                if (site.CookieBytesByHost.TryGetValue(r.Host, out var bytes))
                {
                    total += bytes;
                    count++;
                }
            }
        }
        var factor = count == 0 ? 1 : ProfileTargets.MeanCookieBytes / (total / count);
        foreach (var site in sites)
        {
            foreach (var host in site.CookieBytesByHost.Keys.ToList())
            {
                site.CookieBytesByHost[host] = Math.Max(16, (int)Math.Round(site.CookieBytesByHost[host] * factor));
            }
        }
    }

    /// <summary>Integer counts proportional to <paramref name="weights"/> summing to <paramref name="total"/>
    /// (largest remainder; ties to the earlier site).</summary>
    public static int[] Apportion(double[] weights, int total)
    {
        var sum = weights.Sum();
        var exact = weights.Select(w => sum == 0 ? 0 : w * total / sum).ToArray();
        var counts = exact.Select(e => (int)Math.Floor(e)).ToArray();
        var left = total - counts.Sum();
        foreach (var i in Enumerable.Range(0, weights.Length).OrderByDescending(i => exact[i] - counts[i]).ThenBy(i => i).Take(left))
        {
            counts[i]++;
        }
        return counts;
    }

    static double[] Scale(double[] weights, double total)
    {
        var sum = weights.Sum();
        return weights.Select(w => sum == 0 ? 0 : w * total / sum).ToArray();
    }

    // ---- bodies ----

    static void BuildBodies(Site site)
    {
        var text = new TextFactory(site.Random.Fork("text"));
        var imageSeed = 0;
        // A browser fetches a CSS background image only when a rule using it matches an element (and a
        // recording holds only what the browser fetched), so each stylesheet image gets a selector
        // "#id .class" and the document gets an element for it (validation finding 1).
        var hooks = new Dictionary<Resource, PageWriter.CssHook>();
        var hookIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var image in site.Resources.Where(r => r.Kind == "image" && r.InitiatorType == "css"))
        {
            var id = $"{text.Word()}-{text.Word()}";
            for (var n = 2; !hookIds.Add(id); n++)
            {
                id = $"{text.Word()}-{text.Word()}{n}";
            }
            hooks[image] = new PageWriter.CssHook(id, text.Word());
        }
        foreach (var r in site.Resources)
        {
            switch (r.Kind)
            {
                case "document":
                    r.ContentType = "text/html; charset=utf-8";
                    r.Content = Encoding.UTF8.GetBytes(PageWriter.Document(site.Spec, r.Url, r.Children.Select(Ref).ToList(), CssHooksOf(r, hooks), r.TargetSize, text));
                    break;
                case "iframe":
                    r.ContentType = "text/html; charset=utf-8";
                    r.Content = Encoding.UTF8.GetBytes(PageWriter.AdFrame(r.TargetSize, text));
                    break;
                case "stylesheet":
                    r.ContentType = "text/css";
                    r.Content = Encoding.UTF8.GetBytes(PageWriter.Stylesheet(r.Host, r.Children.Select(c => (c.Url, hooks[c])).ToList(), r.TargetSize, text));
                    break;
                case "script":
                    r.ContentType = r.Path.StartsWith("/adj/", StringComparison.Ordinal) ? "text/javascript" : "application/x-javascript";
                    r.Content = Encoding.UTF8.GetBytes(PageWriter.Script(r.Children.Select(Ref).ToList(), r.TargetSize, text));
                    break;
                case "xhr":
                    r.ContentType = "application/json; charset=utf-8";
                    r.Content = Encoding.UTF8.GetBytes(PageWriter.Json(r.TargetSize, text));
                    break;
                case "object":
                    r.ContentType = "application/x-shockwave-flash";
                    r.Content = PageWriter.Flash(r.TargetSize, text);
                    break;
                case "image":
                    r.ContentType = ImageFactory.ContentType(r.Format);
                    (r.Content, r.Width, r.Height) = ImageFactory.Create(r.Format, r.TargetSize, r.Width, r.Height, imageSeed++);
                    break;
                case "redirect":
                    r.ContentType = "text/html";
                    r.Content = [];
                    break;
            }
        }
    }

    /// <summary>The elements a document must contain for its stylesheets' image rules to match, in recorded order.</summary>
    static List<PageWriter.CssHook> CssHooksOf(Resource document, Dictionary<Resource, PageWriter.CssHook> hooks) =>
        document.Children.Where(c => c.Kind == "stylesheet").SelectMany(sheet => sheet.Children).Select(image => hooks[image]).ToList();

    static PageWriter.Reference Ref(Resource r) => new(r.Kind, r.Url, r.Width, r.Height);

    /// <summary>
    /// Decides which text responses go out gzipped so that the corpus's compressed share of compressible
    /// bytes is the profile's 89%: everything is gzipped except a budget of 11% of the bytes, spent first on
    /// third-party scripts, then XHR data, then static files of the sites that did not compress them.
    /// </summary>
    static void ChooseCompression(List<Site> sites, Prng random)
    {
        var text = sites.SelectMany(s => s.Resources.Where(r => r.IsText).Select(r => (Site: s, Resource: r))).ToList();
        foreach (var (_, r) in text)
        {
            r.Compress = true;
        }
        double total = text.Sum(t => t.Resource.Content.Length);
        var budget = total * (1 - ProfileTargets.CompressedShare);
        string[] plainStatics = ["baidu", "qq", "163", "sina", "yahoo.co.jp", "mail.ru"];
        var groups = new[]
        {
            text.Where(t => t.Resource.Kind == "script" && !t.Site.Spec.OwnHosts.Contains(t.Resource.Host)).ToList(),
            text.Where(t => t.Resource.Kind == "xhr").ToList(),
            text.Where(t => t.Resource.Kind is "script" or "stylesheet" && plainStatics.Contains(t.Site.Spec.Name) && t.Site.Spec.OwnHosts.Contains(t.Resource.Host)).ToList(),
            text.Where(t => t.Resource.Kind is "iframe").ToList(),
            text.Where(t => t.Resource.Kind is "script" or "stylesheet").ToList(),
        };
        foreach (var group in groups)
        {
            for (var i = group.Count - 1; i > 0; i--)
            {
                var j = random.Next(i + 1);
                (group[i], group[j]) = (group[j], group[i]);
            }
            foreach (var (_, r) in group)
            {
                if (r.Compress && r.Content.Length <= budget)
                {
                    r.Compress = false;
                    budget -= r.Content.Length;
                }
            }
        }
    }

    // ---- headers and the snapshot ----

    static SnapshotBuilder ToSnapshot(Site site)
    {
        var spec = site.Spec;
        var random = site.Random.Fork("headers");
        var builder = new SnapshotBuilder(spec.Name);
        builder.Manifest.Description = $"{spec.Title} ({spec.Kind.ToString().ToLowerInvariant()}), synthetic page after the 2009 top sites";
        builder.Manifest.Source = "generated by 'spdylab sites generate' (seed " + DefaultSeed + "), from PROFILE.md";
        builder.Manifest.Page = site.Document.Url;
        var cookies = site.CookieBytesByHost.ToDictionary(kv => kv.Key, kv => CookieValue(random, kv.Value));
        var date = new DateTime(2009, 12, 15, 18, 0, 0, DateTimeKind.Utc).AddMinutes(site.Index * 7);

        // Manifest order is discovery order: breadth-first from the document.
        var ordered = new List<Resource>();
        var queue = new Queue<Resource>([site.Document]);
        while (queue.Count > 0)
        {
            var r = queue.Dequeue();
            ordered.Add(r);
            foreach (var child in r.Children)
            {
                queue.Enqueue(child);
            }
        }
        var ids = new Dictionary<Resource, int>();
        foreach (var r in ordered)
        {
            var body = r.Compress ? Gzip(r.Content) : r.Content;
            var exchange = new ExchangeRecord
            {
                Method = "GET",
                Scheme = "http",
                Host = r.Host,
                Path = r.Path,
                Type = r.Kind switch { "iframe" => "document", "redirect" => "other", _ => r.Kind },
                RequestHeaders = RequestHeaders(r, cookies),
                Status = r.Kind == "redirect" ? 302 : 200,
                ResponseHeaders = ResponseHeaders(site, r, body.Length, date, random),
                Initiator = r.Initiator is null ? null : ids[r.Initiator],
                InitiatorType = r.InitiatorType,
            };
            ids[r] = builder.Add(exchange, body).Id;
        }
        return builder;
    }

    static List<string[]> RequestHeaders(Resource r, Dictionary<string, string> cookies)
    {
        var accept = r.Kind switch
        {
            "document" or "iframe" => "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "stylesheet" => "text/css,*/*;q=0.1",
            "image" => "image/png,image/*;q=0.8,*/*;q=0.5",
            "xhr" => "application/json, text/javascript, */*",
            "redirect" => "image/png,image/*;q=0.8,*/*;q=0.5",
            _ => "*/*",
        };
        var headers = new List<string[]>
        {
            new[] { "Host", r.Host },
            new[] { "User-Agent", UserAgent },
            new[] { "Accept", accept },
            new[] { "Accept-Language", "en-us,en;q=0.5" },
            new[] { "Accept-Encoding", "gzip,deflate" },
            new[] { "Accept-Charset", "ISO-8859-1,utf-8;q=0.7,*;q=0.7" },
            new[] { "Keep-Alive", "300" },
            new[] { "Connection", "keep-alive" },
        };
        if (r.Kind == "xhr")
        {
            headers.Add(["X-Requested-With", "XMLHttpRequest"]);
        }
        var referrer = r.Initiator;
        while (referrer is not null && referrer.Kind is "script" or "redirect")
        {
            referrer = referrer.Initiator; // scripts and redirects keep the page as referrer
        }
        if (referrer is not null)
        {
            headers.Add(["Referer", referrer.Url]);
        }
        if (cookies.TryGetValue(r.Host, out var cookie))
        {
            headers.Add(["Cookie", cookie]);
        }
        return headers;
    }

    static List<string[]> ResponseHeaders(Site site, Resource r, int bodyLength, DateTime date, Prng random)
    {
        var spec = site.Spec;
        var ownHost = spec.OwnHosts.Contains(r.Host);
        var server = ownHost ? spec.Server : random.Pick(["Apache", "DCLK-AdSvr", "Golfe", "nginx", "Microsoft-IIS/6.0"]);
        var apache = server.StartsWith("Apache", StringComparison.Ordinal);
        var headers = new List<string[]> { new[] { "Date", Http(date.AddSeconds(random.Next(0, 4))) }, new[] { "Server", server } };
        void Framing()
        {
            if (r.Compress)
            {
                headers.Add(["Content-Encoding", "gzip"]);
                headers.Add(["Vary", "Accept-Encoding"]);
            }
            if (r.Compress && r.Kind is "document" or "xhr")
            {
                headers.Add(["Transfer-Encoding", "chunked"]);
            }
            else
            {
                headers.Add(["Content-Length", bodyLength.ToString()]);
            }
            if (apache)
            {
                headers.Add(["Keep-Alive", "timeout=15, max=" + random.Next(90, 101)]);
                headers.Add(["Connection", "Keep-Alive"]);
            }
        }
        switch (r.Kind)
        {
            case "document" or "iframe" or "xhr":
                headers.Add(["Cache-Control", r.Kind == "iframe" ? "no-cache, must-revalidate" : "private, max-age=0"]);
                headers.Add(["Expires", "-1"]);
                headers.Add(["Content-Type", r.ContentType]);
                if (r.Kind == "document")
                {
                    if (site.CookieBytesByHost.ContainsKey(r.Host))
                    {
                        headers.Add(["Set-Cookie", $"{new TextFactory(random).Id(2, 5)}={new TextFactory(random).Id(20, 40)}; expires={Http(date.AddYears(2))}; path=/; domain=.{RegistrableDomain(r.Host)}"]);
                    }
                    headers.Add(["P3P", "CP=\"CAO DSP COR CUR ADM DEV TAI PSA PSD IVAi IVDi CONi TELo OTPi OUR DELi SAMi OTRi UNRi PUBi IND PHY ONL UNI PUR FIN COM NAV INT DEM CNT STA POL HEA PRE GOV\""]);
                }
                Framing();
                break;
            case "redirect":
                headers.Add(["Location", r.RedirectTo!.Url]);
                headers.Add(["Cache-Control", "no-cache"]);
                headers.Add(["Pragma", "no-cache"]);
                headers.Add(["Expires", "Fri, 01 Jan 1990 00:00:00 GMT"]);
                headers.Add(["Content-Type", "text/html"]);
                headers.Add(["Content-Length", "0"]);
                break;
            case "image" when r.Beacon:
                headers.Add(["Content-Type", "image/gif"]);
                headers.Add(["Cache-Control", "private, no-cache, no-cache=\"Set-Cookie\", proxy-revalidate"]);
                headers.Add(["Pragma", "no-cache"]);
                headers.Add(["Expires", "Wed, 19 Apr 2000 11:43:00 GMT"]);
                headers.Add(["Last-Modified", "Wed, 21 Jan 2004 19:51:30 GMT"]);
                Framing();
                break;
            default:
                var modified = date.AddDays(-random.Next(1, 700)).AddSeconds(-random.Next(0, 86400));
                headers.Add(["Last-Modified", Http(modified)]);
                if (apache || random.Chance(0.5))
                {
                    headers.Add(["ETag", $"\"{random.Next(0x10000, 0xfffff):x}-{bodyLength:x}-{random.Next(0x10000000, int.MaxValue):x}\""]);
                }
                headers.Add(["Accept-Ranges", "bytes"]);
                headers.Add(["Cache-Control", "max-age=" + random.Pick(["315360000", "2592000", "86400", "604800"])]);
                headers.Add(["Expires", Http(date.AddYears(random.Chance(0.5) ? 10 : 1))]);
                headers.Add(["Content-Type", r.ContentType]);
                headers.Add(["Age", random.Next(10, 86400).ToString()]);
                if (random.Chance(0.7))
                {
                    var cache = $"cache{random.Next(1, 40)}.{RegistrableDomain(r.Host)}";
                    headers.Add(["X-Cache", $"HIT from {cache}"]);
                    headers.Add(["Via", $"1.1 {cache}:80 (squid/2.7.STABLE6)"]);
                }
                Framing();
                break;
        }
        return headers;
    }

    static string RegistrableDomain(string host)
    {
        var parts = host.Split('.');
        var take = parts.Length >= 3 && parts[^2] is "co" or "com" && parts[^1].Length == 2 ? 3 : 2;
        return string.Join('.', parts.TakeLast(Math.Min(take, parts.Length)));
    }

    static string CookieValue(Prng random, int bytes)
    {
        var text = new TextFactory(random);
        string[] names = ["B", "Y", "T", "PREF", "NID", "SID", "HSID", "s_pers", "s_sess", "__utma", "__utmz", "uid", "sess", "lang", "MUID", "ANON", "id", "loc", "fpc"];
        var builder = new StringBuilder();
        var n = 0;
        while (builder.Length < bytes - 12)
        {
            if (builder.Length > 0) builder.Append("; ");
            builder.Append(names[n++ % names.Length]).Append('=').Append(text.Id(6, Math.Clamp(bytes - builder.Length - 8, 7, 90)));
        }
        if (builder.Length < bytes)
        {
            builder.Append(builder.Length == 0 ? "id=" : "; z=");
            while (builder.Length < bytes) builder.Append((char)('a' + random.Next(26)));
        }
        return builder.ToString()[..Math.Max(bytes, 0)];
    }

    static string Http(DateTime t) => t.ToString("r", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>gzip with a fixed header (mtime 0), as the period's servers sent it.</summary>
    public static byte[] Gzip(byte[] content)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(content);
        }
        return output.ToArray();
    }
}
