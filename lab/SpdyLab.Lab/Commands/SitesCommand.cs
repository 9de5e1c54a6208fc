using System.CommandLine;
using System.Net;
using System.Text.Json;
using SpdyLab.Lab.Browser;
using SpdyLab.Lab.Recording;
using SpdyLab.Sites.Corpus;
using SpdyLab.Sites.Import;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Commands;

/// <summary>
/// <c>spdylab sites</c>: the page snapshots the lab replays: list, show, generate the shipped corpus,
/// import HAR / Mahimahi / Web Page Replay recordings, export HAR.
/// </summary>
public static class SitesCommand
{
    static readonly JsonSerializerOptions Json = new(SnapshotManifest.JsonOptions) { WriteIndented = true };

    public static SiteCatalog Catalog() =>
        new(Path.Combine(LabPaths.RepositoryRoot, "sites", "corpus"), Path.Combine(LabPaths.Home, "sites"));

    /// <summary>Loads a snapshot by name or folder, or throws a usage error listing what exists.</summary>
    public static Snapshot LoadSite(string option, string nameOrDirectory)
    {
        var catalog = Catalog();
        var folder = catalog.Find(nameOrDirectory)
            ?? throw new UsageException($"{option}: no snapshot named '{nameOrDirectory}'; known: {string.Join(", ", catalog.List().Select(e => e.Name))} (or give a snapshot folder)");
        try
        {
            return Snapshot.Load(folder);
        }
        catch (SnapshotFormatException e)
        {
            throw new UsageException($"{option}: {e.Message}");
        }
    }

    public static Command Create()
    {
        var command = new Command("sites", "Page snapshots: list, show, generate the 2009 corpus, import HAR/Mahimahi/WPR, record with Chromium, export HAR.");
        command.Subcommands.Add(ListCommand());
        command.Subcommands.Add(ShowCommand());
        command.Subcommands.Add(GenerateCommand());
        command.Subcommands.Add(ImportCommand());
        command.Subcommands.Add(RecordCommand());
        command.Subcommands.Add(CalibrateCommand());
        command.Subcommands.Add(ExportCommand());
        return command;
    }

    static Option<bool> JsonOption() => new("--json") { Description = "print JSON for scripts instead of a table" };

    static Command ListCommand()
    {
        var json = JsonOption();
        var command = new Command("list", "List the snapshots (shipped corpus and imported) with per-page figures.");
        command.Options.Add(json);
        CommandActions.SetAction(command, (parseResult, _) =>
        {
            var catalog = Catalog();
            var rows = new List<(SiteCatalog.Entry Entry, SiteFigures? Figures, string? Error)>();
            foreach (var entry in catalog.List())
            {
                try
                {
                    rows.Add((entry, SiteFigures.Measure(Snapshot.Load(entry.Directory)), null));
                }
                catch (SnapshotFormatException e)
                {
                    rows.Add((entry, null, e.Message));
                }
            }
            if (parseResult.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(rows.Select(r => new
                {
                    name = r.Entry.Name,
                    origin = r.Entry.Shipped ? "shipped" : "imported",
                    directory = r.Entry.Directory,
                    figures = r.Figures,
                    error = r.Error,
                }), Json));
                return Task.FromResult(0);
            }
            Console.WriteLine($"corpus: {catalog.CorpusFolder}\nimported: {catalog.UserFolder}\n");
            var width = Math.Max(14, rows.Count == 0 ? 0 : rows.Max(r => r.Entry.Name.Length));
            string Name(string n) => n.PadRight(width);
            Console.WriteLine($"{Name("name")} {"origin",-8} {"GETs",5} {"hosts",5} {"images",6} {"scripts",7} {"css",4} {"wire KB",8} {"raw KB",8} {"gzip",5}");
            foreach (var (entry, f, error) in rows)
            {
                Console.WriteLine(f is null
                    ? $"{Name(entry.Name)} {(entry.Shipped ? "shipped" : "imported"),-8} unreadable: {error}"
                    : $"{Name(entry.Name)} {(entry.Shipped ? "shipped" : "imported"),-8} {f.Gets,5} {f.Hosts,5} {f.Images,6} {f.Scripts,7} {f.Stylesheets,4} {f.WireKB,8:F1} {f.UncompressedKB,8:F1} {f.CompressedShare,5:P0}");
            }
            return Task.FromResult(0);
        });
        return command;
    }

    static Command ShowCommand()
    {
        var name = new Argument<string>("name") { Description = "snapshot name (see 'sites list') or folder" };
        var json = JsonOption();
        var command = new Command("show", "Show one snapshot: its figures and every exchange.");
        command.Arguments.Add(name);
        command.Options.Add(json);
        CommandActions.SetAction(command, (parseResult, _) =>
        {
            var snapshot = LoadSite("NAME", parseResult.GetValue(name)!);
            var figures = SiteFigures.Measure(snapshot);
            if (parseResult.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { name = snapshot.Name, directory = snapshot.Directory, snapshot.Manifest.Description, snapshot.Manifest.Source, snapshot.Manifest.Page, figures, exchanges = snapshot.Exchanges }, Json));
                return Task.FromResult(0);
            }
            Console.WriteLine($"{snapshot.Name}: {snapshot.Manifest.Description}");
            Console.WriteLine($"folder: {snapshot.Directory}\nsource: {snapshot.Manifest.Source}\npage:   {snapshot.Manifest.Page}");
            Console.WriteLine($"{figures.Gets} GETs, {figures.Hosts} hosts (at most {figures.MostGetsToOneHost} GETs to one), {figures.WireKB:F1} KB on the wire, {figures.UncompressedKB:F1} KB uncompressed, {figures.CompressedShare:P0} of compressible bytes gzipped");
            Console.WriteLine($"images {figures.Images} ({figures.ImageKB:F1} KB), scripts {figures.Scripts} ({figures.ScriptKB:F1} KB), stylesheets {figures.Stylesheets} ({figures.CssKB:F1} KB), HTML {figures.HtmlKB:F1} KB");
            Console.WriteLine($"headers: request {figures.MeanRequestHeaderBytes:F0} B, response {figures.MeanResponseHeaderBytes:F0} B on average; {figures.RequestsWithCookie} requests carry a cookie (mean {figures.MeanCookieBytes:F0} B)\n");
            Console.WriteLine($"{"id",4} {"status",6} {"type",-10} {"bytes",8} {"from",5} {"how",-8} url");
            foreach (var e in snapshot.Exchanges)
            {
                var flags = e.Flags is { Count: > 0 } ? "  [" + string.Join(", ", e.Flags) + "]" : "";
                Console.WriteLine($"{e.Id,4} {e.Status,6} {e.Type ?? SiteFigures.Classify(e),-10} {e.BodySize,8} {(e.Initiator?.ToString() ?? "-"),5} {e.InitiatorType ?? "-",-8} {e.Method} {e.Url}{flags}");
            }
            return Task.FromResult(0);
        });
        return command;
    }

    static Command GenerateCommand()
    {
        var output = new Option<string>("--out") { Description = "folder to write the corpus to (default: the repository's sites/corpus)" };
        var seed = new Option<ulong>("--seed") { Description = "generator seed", DefaultValueFactory = _ => CorpusGenerator.DefaultSeed };
        var json = JsonOption();
        var command = new Command("generate", "Generate the 25-site 2009 corpus (deterministic: the same seed gives the same bytes).");
        command.Options.Add(output);
        command.Options.Add(seed);
        command.Options.Add(json);
        CommandActions.SetAction(command, (parseResult, _) =>
        {
            var folder = parseResult.GetValue(output) ?? Catalog().CorpusFolder;
            var snapshots = CorpusGenerator.WriteCorpus(folder, parseResult.GetValue(seed));
            var figures = snapshots.Select(SiteFigures.Measure).ToList();
            if (parseResult.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { folder = Path.GetFullPath(folder), sites = figures, mean = SiteFigures.Mean(figures) }, Json));
                return Task.FromResult(0);
            }
            Console.WriteLine($"wrote {snapshots.Count} sites to {Path.GetFullPath(folder)} (figures in its README.md)");
            return Task.FromResult(0);
        });
        return command;
    }

    static Command ImportCommand()
    {
        var file = new Argument<string>("file") { Description = "HAR file (.har), Web Page Replay archive (.wprgo), or Mahimahi recorded-site folder" };
        var name = new Option<string>("--name") { Description = "snapshot name (default: from the file name)" };
        var format = new Option<string>("--format") { Description = "har, wpr or mahimahi (default: from the file)" };
        var replace = new Option<bool>("--replace") { Description = "replace an existing imported snapshot of that name" };
        var json = JsonOption();
        var command = new Command("import", "Import a recording into $SPDYLAB_HOME/sites/NAME.");
        command.Arguments.Add(file);
        foreach (var option in new Option[] { name, format, replace, json })
        {
            command.Options.Add(option);
        }
        CommandActions.SetAction(command, (parseResult, _) =>
        {
            var path = parseResult.GetValue(file)!;
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                throw new UsageException($"FILE: '{path}' does not exist");
            }
            var snapshotName = parseResult.GetValue(name) ?? Importers.DefaultName(path);
            if (!SiteCatalog.IsValidName(snapshotName))
            {
                throw new UsageException($"--name: '{snapshotName}' is not a valid name; accepted: letters, digits, '.', '-', '_'");
            }
            var catalog = Catalog();
            var target = catalog.UserPath(snapshotName);
            if (Directory.Exists(target) && !parseResult.GetValue(replace))
            {
                throw new UsageException($"--name: '{snapshotName}' already exists in {catalog.UserFolder}; pass --replace or another --name");
            }
            Snapshot snapshot;
            try
            {
                var builder = Importers.Import(path, snapshotName, parseResult.GetValue(format));
                snapshot = builder.WriteTo(target, replace: true);
            }
            catch (SnapshotFormatException e)
            {
                throw new UsageException(e.Message);
            }
            var figures = SiteFigures.Measure(snapshot);
            var synthesized = snapshot.Exchanges.Count(e => e.HasFlag(ExchangeFlags.BodySynthesized));
            if (parseResult.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { name = snapshot.Name, directory = snapshot.Directory, exchanges = snapshot.Exchanges.Count, synthesized, figures }, Json));
                return Task.FromResult(0);
            }
            Console.WriteLine($"imported {snapshot.Exchanges.Count} exchanges ({figures.Hosts} hosts, {figures.WireKB:F1} KB on the wire) into {snapshot.Directory}");
            if (synthesized > 0)
            {
                Console.WriteLine($"{synthesized} bodies were missing from the recording and were synthesized at the recorded size (flagged 'body-synthesized')");
            }
            return Task.FromResult(0);
        });
        return command;
    }

    static Command RecordCommand()
    {
        var url = new Argument<string>("url") { Description = "page to record (http:// or https://)" };
        var name = new Option<string>("--name") { Description = "snapshot name (default: the URL's host)" };
        var replace = new Option<bool>("--replace") { Description = "replace an existing imported snapshot of that name" };
        var resolve = new Option<string[]>("--resolve")
        {
            Description = "HOST=ADDR[:PORT]: connect to ADDR for HOST instead of asking DNS (repeatable; HOST may be '*'); without it, the system's resolver",
            AllowMultipleArgumentsPerToken = false,
        };
        var insecure = new Option<bool>("--ignore-https-errors") { Description = "accept any certificate (lab or test servers)" };
        var timeout = new Option<double>("--timeout") { Description = "seconds the page may take to reach its load event", DefaultValueFactory = _ => 60 };
        var settle = new Option<double>("--settle")
        {
            Description = "seconds to wait after the network went idle (up to 10 s after load), for resources scripts insert late",
            DefaultValueFactory = _ => 0.5,
        };
        var har = new Option<string>("--har") { Description = "also keep the raw HAR Chromium recorded at FILE" };
        var chromium = new Option<string>("--chromium") { Description = "Chromium binary", DefaultValueFactory = _ => ChromiumOptions.DefaultExecutable };
        var json = JsonOption();
        var command = new Command("record", "Load a page in Chromium (Playwright), record a HAR with every body, import it into $SPDYLAB_HOME/sites/NAME.");
        command.Arguments.Add(url);
        foreach (var option in new Option[] { name, replace, resolve, insecure, timeout, settle, har, chromium, json })
        {
            command.Options.Add(option);
        }
        CommandActions.SetAction(command, async (parseResult, cancellationToken) =>
        {
            var text = parseResult.GetValue(url)!;
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new UsageException($"URL: '{text}' is not an http:// or https:// URL");
            }
            var snapshotName = parseResult.GetValue(name) ?? uri.Host;
            if (!SiteCatalog.IsValidName(snapshotName))
            {
                throw new UsageException($"--name: '{snapshotName}' is not a valid name; accepted: letters, digits, '.', '-', '_'");
            }
            var catalog = Catalog();
            var target = catalog.UserPath(snapshotName);
            if (Directory.Exists(target) && !parseResult.GetValue(replace))
            {
                throw new UsageException($"--name: '{snapshotName}' already exists in {catalog.UserFolder}; pass --replace or another --name");
            }
            var hosts = ParseResolve(parseResult.GetValue(resolve) ?? []);
            var seconds = parseResult.GetValue(timeout);
            var settleSeconds = parseResult.GetValue(settle);
            if (seconds <= 0 || settleSeconds < 0)
            {
                throw new UsageException("--timeout must be positive and --settle not negative (seconds)");
            }
            var options = new RecordOptions
            {
                ExecutablePath = parseResult.GetValue(chromium)!,
                Hosts = hosts,
                IgnoreHttpsErrors = parseResult.GetValue(insecure),
                Timeout = TimeSpan.FromSeconds(seconds),
                Settle = TimeSpan.FromSeconds(settleSeconds),
            };
            var keep = parseResult.GetValue(har);
            var harPath = keep ?? Path.Combine(Path.GetTempPath(), $"spdylab-record-{Environment.ProcessId}-{Guid.NewGuid():N}.har");
            RecordResult result;
            Snapshot snapshot;
            try
            {
                result = await SiteRecorder.RecordAsync(uri, snapshotName, harPath, options, cancellationToken);
                snapshot = result.Snapshot.WriteTo(target, replace: true);
            }
            catch (ChromiumUnavailableException e)
            {
                await Console.Error.WriteLineAsync($"spdylab sites record: {e.Message}");
                return CommandActions.RuntimeError;
            }
            catch (Exception e) when (e is Microsoft.Playwright.PlaywrightException or TimeoutException or SnapshotFormatException)
            {
                await Console.Error.WriteLineAsync($"spdylab sites record: {uri.AbsoluteUri}: {ChromiumLauncher.FirstLine(e.Message)}");
                return CommandActions.RuntimeError;
            }
            finally
            {
                if (keep is null && File.Exists(harPath))
                {
                    File.Delete(harPath);
                }
            }
            var figures = SiteFigures.Measure(snapshot);
            if (parseResult.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    name = snapshot.Name, directory = snapshot.Directory, url = uri.AbsoluteUri, browser = result.BrowserVersion,
                    documentStatus = result.DocumentStatus, networkIdle = result.NetworkIdleReached, har = keep is null ? null : Path.GetFullPath(keep),
                    exchanges = snapshot.Exchanges.Count, figures,
                }, Json));
                return 0;
            }
            Console.WriteLine($"recorded {snapshot.Exchanges.Count} exchanges ({figures.Hosts} hosts, {figures.WireKB:F1} KB on the wire) with Chromium {result.BrowserVersion} into {snapshot.Directory}");
            if (result.DocumentStatus is { } status and not (>= 200 and < 400))
            {
                Console.WriteLine($"note: the document answered {status}");
            }
            if (!result.NetworkIdleReached)
            {
                Console.WriteLine("note: the network never went idle within 10 s after load; what came until then is recorded");
            }
            if (keep is not null)
            {
                Console.WriteLine($"HAR: {Path.GetFullPath(keep)}");
            }
            return 0;
        });
        return command;
    }

    /// <summary>"HOST=ADDR[:PORT]" (curl's --resolve idea): port 0 when none is named (keep the URL's).</summary>
    internal static Dictionary<string, IPEndPoint> ParseResolve(IEnumerable<string> specs)
    {
        var hosts = new Dictionary<string, IPEndPoint>(StringComparer.OrdinalIgnoreCase);
        foreach (var spec in specs)
        {
            var equals = spec.IndexOf('=');
            var host = equals > 0 ? spec[..equals] : "";
            var target = equals > 0 ? spec[(equals + 1)..] : "";
            IPEndPoint? endpoint = IPAddress.TryParse(target, out var address) ? new IPEndPoint(address, 0)
                : IPEndPoint.TryParse(target, out var withPort) && withPort.Port > 0 ? withPort : null;
            if (host.Length == 0 || endpoint is null || host.Contains(' ') || host.Contains(','))
            {
                throw new UsageException($"--resolve: '{spec}' is not HOST=ADDR[:PORT]; accepted: www.example.com=127.0.0.1, '*=10.0.0.1:8080'");
            }
            hosts[host] = endpoint;
        }
        if (hosts.Values.Any(e => e.Port == 0) && hosts.Values.Any(e => e.Port != 0))
        {
            throw new UsageException("--resolve: give a port in every mapping or in none (one port rule for all)");
        }
        return hosts;
    }

    static Command CalibrateCommand()
    {
        var names = new Argument<string[]>("name") { Description = "snapshot names (see 'sites list') or folders", Arity = ArgumentArity.OneOrMore };
        var runs = new Option<int>("--runs") { Description = "measured Chromium loads per site (a warm-up load is added); the graph holds their medians", DefaultValueFactory = _ => 5 };
        var protocol = new Option<string>("--protocol") { Description = "what Chromium loads over: http/1.1 or h2 (TLS, loopback)", DefaultValueFactory = _ => "http/1.1" };
        var command = new Command("calibrate",
            $"Record each snapshot's load graph from real Chromium ({LoadGraph.FileName} beside its manifest): per resource its trigger, the browser's work before it asked, whether it held the load event; replayed by the built-in client over every protocol (docs/loader.md).");
        command.Arguments.Add(names);
        command.Options.Add(runs);
        command.Options.Add(protocol);
        CommandActions.SetAction(command, async (parseResult, cancellationToken) =>
        {
            var count = parseResult.GetValue(runs);
            if (count is < 1 or > 50) throw new UsageException($"--runs: {count} is not between 1 and 50");
            var over = parseResult.GetValue(protocol)!;
            if (over is not ("http/1.1" or "h2")) throw new UsageException($"--protocol: '{over}' is not http/1.1 or h2 (what Chromium speaks)");
            var snapshots = parseResult.GetValue(names)!.Select(n => LoadSite("NAME", n)).ToList();
            foreach (var snapshot in snapshots)
            {
                Console.Error.WriteLine($"{snapshot.Name}: recording its load graph in Chromium ({count} loads over {over}, TLS, loopback)");
                LoadGraph graph;
                try
                {
                    graph = await Calibration.LoadGraphRecorder.RecordAsync(snapshot, new(count, over), line => Console.Error.WriteLine($"  {line}"), cancellationToken);
                }
                catch (Exception e) when (e is ChromiumUnavailableException or InvalidOperationException or Microsoft.Playwright.PlaywrightException)
                {
                    await Console.Error.WriteLineAsync($"spdylab sites calibrate: {snapshot.Name}: {ChromiumLauncher.FirstLine(e.Message)}");
                    return CommandActions.RuntimeError;
                }
                var path = Path.Combine(snapshot.Directory!, LoadGraph.FileName);
                graph.Write(path);
                var gets = snapshot.Exchanges.Count(e => e.Method == "GET") - 1;
                var delays = graph.Resources.Select(r => r.DelayMs).Order().ToList();
                Console.WriteLine($"{snapshot.Name}: {path}");
                Console.WriteLine($"  {graph.Resources.Count} of {gets} subresources seen by Chromium; navigation {graph.NavigationMs:F1} ms, onload {graph.OnloadMs:F1} ms; " +
                    $"work before a request: median {Calibration.LoadGraphRecorder.Median(delays):F1} ms, max {(delays.Count > 0 ? delays[^1] : 0):F1} ms; " +
                    $"{graph.Resources.Count(r => !r.BlocksOnload)} do not hold the load event");
            }
            return 0;
        });
        return command;
    }

    static Command ExportCommand()
    {
        var name = new Argument<string>("name") { Description = "snapshot name or folder" };
        var har = new Option<string>("--har") { Description = "HAR file to write", Required = true };
        var json = JsonOption();
        var command = new Command("export", "Export a snapshot as a HAR 1.2 file.");
        command.Arguments.Add(name);
        command.Options.Add(har);
        command.Options.Add(json);
        CommandActions.SetAction(command, (parseResult, _) =>
        {
            var snapshot = LoadSite("NAME", parseResult.GetValue(name)!);
            var path = parseResult.GetValue(har)!;
            HarExporter.Write(snapshot, path);
            if (parseResult.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { name = snapshot.Name, har = Path.GetFullPath(path), entries = snapshot.Exchanges.Count }, Json));
                return Task.FromResult(0);
            }
            Console.WriteLine($"wrote {snapshot.Exchanges.Count} entries to {Path.GetFullPath(path)}");
            return Task.FromResult(0);
        });
        return command;
    }
}
