using System.CommandLine;
using System.Globalization;
using System.Text;
using SpdyLab.Client.PageLoad;
using SpdyLab.Emulator.Link;
using SpdyLab.Lab.Loading;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Commands;

/// <summary>
/// <c>spdylab load</c>: loads one snapshot's page with the built-in browser model over HTTP/1.1, SPDY
/// or HTTP/2 and reports page load time, TTFB, requests, connections, bytes and, given the link, how far
/// the load was from the physical lower bound.
/// </summary>
public static class LoadCommand
{
    public const string AcceptedProtocols = "http/1.1, spdy/2, spdy/3, spdy/3.1, h2";

    public static Command Create()
    {
        var site = new Option<string>("--site", "-s") { Description = "snapshot name (user sites, then the shipped corpus) or snapshot folder", Required = true };
        var protocol = new Option<string>("--protocol", "-p") { Description = $"one of {AcceptedProtocols}", DefaultValueFactory = _ => "http/1.1" };
        var singleDomain = new Option<bool>("--single-domain") { Description = "SPDY: one session for every host (all hosts served at one address; :host routes)" };
        var push = new Option<bool>("--push") { Description = "label: the server pushes (run it in push mode); pushed responses satisfy later requests" };
        var hint = new Option<bool>("--hint") { Description = "label: the server hints (X-Subresources); hinted resources are fetched at once" };
        var prefetch = new Option<bool>("--prefetch") { Description = "client prefetch: request the page's known subresources as soon as the document's headers arrive" };
        var tls = new Option<bool>("--tls") { Description = "load over TLS (https; ALPN picks the protocol)" };
        var connect = new Option<string?>("--connect") { Description = "ADDR:PORT that serves every host of the page" };
        var hosts = new Option<string?>("--hosts") { Description = "file of 'HOST ADDR:PORT' lines ('*' for the rest)" };
        var cacert = new Option<string?>("--cacert") { Description = "PEM file of the CA to trust over TLS (default: accept the lab server's certificate)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of the summary" };
        var har = new Option<string?>("--har") { Description = "write a HAR 1.2 file of the load" };
        var down = new Option<string?>("--down") { Description = "link downlink rate for the lower bound, e.g. 2mbit" };
        var up = new Option<string?>("--up") { Description = "link uplink rate for the lower bound, e.g. 375kbit" };
        var rtt = new Option<string?>("--rtt") { Description = "link round-trip time for the lower bound, e.g. 50ms" };
        var timeout = new Option<double>("--timeout") { Description = "seconds the whole load may take", DefaultValueFactory = _ => 60 };
        var client = new Option<string>("--client") { Description = "builtin (the browser model) or chromium (Debian's Chromium via Playwright: http/1.1 or h2; docs/browser.md)", DefaultValueFactory = _ => "builtin" };

        var command = new Command("load", "Load a snapshot's page with the built-in browser model (HTTP/1.1, SPDY or h2) and measure it.");
        foreach (var option in new Option[] { site, protocol, singleDomain, push, hint, prefetch, tls, connect, hosts, cacert, json, har, down, up, rtt, timeout, client })
        {
            command.Options.Add(option);
        }

        CommandActions.SetAction(command, async (parseResult, cancellationToken) =>
        {
            var siteName = parseResult.GetValue(site)!;
            var protocolName = parseResult.GetValue(protocol)!.ToLowerInvariant();
            if (protocolName is not ("http/1.1" or "spdy/2" or "spdy/3" or "spdy/3.1" or "h2"))
            {
                throw new UsageException($"--protocol: '{protocolName}' is not a protocol; accepted: {AcceptedProtocols}");
            }

            var features = new[] { (parseResult.GetValue(push), "push"), (parseResult.GetValue(hint), "hint"), (parseResult.GetValue(prefetch), "prefetch") }
                .Where(f => f.Item1).Select(f => f.Item2).ToList();
            if (features.Count > 1)
            {
                throw new UsageException($"--push, --hint and --prefetch exclude each other; got --{string.Join(" and --", features)}");
            }

            var hostMap = BuildHostMap(parseResult.GetValue(connect), parseResult.GetValue(hosts));
            var link = ParseLink(parseResult.GetValue(down), parseResult.GetValue(up), parseResult.GetValue(rtt));
            var caFile = parseResult.GetValue(cacert);
            if (caFile is not null && !File.Exists(caFile))
            {
                throw new UsageException($"--cacert: '{caFile}' does not exist");
            }

            var snapshot = SitesCommand.LoadSite("--site", siteName);
            var clientName = parseResult.GetValue(client)!.ToLowerInvariant();
            if (clientName is not ("builtin" or "chromium")) throw new UsageException($"--client: '{clientName}' is not a client; accepted: builtin, chromium");
            if (clientName == "chromium")
            {
                if (features.Count > 0 || parseResult.GetValue(singleDomain))
                    throw new UsageException("--client chromium: --push, --hint, --prefetch and --single-domain are built-in client options");
                return await Browser.ChromiumLoadCommand.RunAsync(snapshot, protocolName, parseResult.GetValue(tls), hostMap, caFile,
                    parseResult.GetValue(json), parseResult.GetValue(har), TimeSpan.FromSeconds(Math.Max(1, parseResult.GetValue(timeout))), cancellationToken);
            }

            var page = SnapshotPage.From(snapshot);
            var options = new PageLoadOptions
            {
                Protocol = protocolName,
                Tls = parseResult.GetValue(tls),
                TlsOptions = new PageTlsOptions { CaCertFile = caFile },
                SingleDomain = parseResult.GetValue(singleDomain),
                Prefetch = features.Contains("prefetch"),
                Feature = features.FirstOrDefault() ?? "plain",
                Hosts = hostMap,
                Timeout = TimeSpan.FromSeconds(Math.Max(1, parseResult.GetValue(timeout))),
                SpdyTransportFactory = SpdyTransports.Factory,
            };

            PageLoadResult result;
            try
            {
                result = await PageLoader.LoadAsync(page, options, cancellationToken);
            }
            catch (PageLoadException e)
            {
                await Console.Error.WriteLineAsync($"spdylab load: {e.Message}");
                return CommandActions.RuntimeError;
            }

            if (link is not null)
            {
                result.SetLink(link);
            }

            if (parseResult.GetValue(har) is { } harFile)
            {
                await File.WriteAllTextAsync(harFile, HarWriter.Serialize(result), cancellationToken);
            }

            Console.WriteLine(parseResult.GetValue(json) ? result.ToJson() : Summary(result));
            return result.Failed == 0 ? 0 : CommandActions.RuntimeError;
        });
        return command;
    }

    internal static HostMap BuildHostMap(string? connect, string? hostsFile)
    {
        if ((connect is null) == (hostsFile is null))
        {
            throw new UsageException("give exactly one of --connect ADDR:PORT (one server for every host) or --hosts FILE ('HOST ADDR:PORT' lines)");
        }

        if (connect is not null)
        {
            return HostMap.All(HostMap.ParseEndpoint(connect)
                ?? throw new UsageException($"--connect: '{connect}' is not ADDR:PORT; accepted: 127.0.0.1:8080, [::1]:8443, localhost:8080"));
        }

        if (!File.Exists(hostsFile))
        {
            throw new UsageException($"--hosts: '{hostsFile}' does not exist");
        }

        try
        {
            return HostMap.Parse(File.ReadLines(hostsFile!), hostsFile!);
        }
        catch (FormatException e)
        {
            throw new UsageException($"--hosts: {e.Message}");
        }
    }

    internal static LinkParameters? ParseLink(string? down, string? up, string? rtt)
    {
        if (down is null && up is null && rtt is null)
        {
            return null;
        }

        if (down is null || up is null || rtt is null)
        {
            throw new UsageException("the lower bound needs all of --down, --up and --rtt (e.g. --down 2mbit --up 375kbit --rtt 50ms)");
        }

        try
        {
            return new LinkParameters(LinkValues.ParseRate("--down", down), LinkValues.ParseRate("--up", up), LinkValues.ParseDuration("--rtt", rtt) / 1000.0);
        }
        catch (LinkOptionException e)
        {
            throw new UsageException(e.Message);
        }
    }

    internal static string Summary(PageLoadResult r)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"{r.Site}: {r.Url} over {r.Protocol}{(r.Tls ? " (TLS)" : string.Empty)}, {r.Sessions}, {r.Feature}");
        text.AppendLine(inv, $"  page load time  {r.PageLoadTimeMs,10:F1} ms    (TTFB {r.TtfbMs:F1} ms)");
        text.AppendLine(inv, $"  resources       {r.Resources,10} of {r.ResourcesKnown} known, {r.Failed} failed, {r.Requests} requests");
        text.AppendLine(inv, $"  connections     {r.Connections,10}    (at most {r.MaxConnectionsPerHost} for one host)");
        text.AppendLine(inv, $"  bytes down      {r.Down.Socket,10}    (headers {r.Down.Headers}, bodies {r.Down.Bodies})");
        text.AppendLine(inv, $"  bytes up        {r.Up.Socket,10}    (headers {r.Up.Headers})");
        var h = r.HeaderBytes;
        text.AppendLine(inv, $"  request headers {h.RequestRaw,10} raw -> {h.RequestWire} on the wire{(h.WireKnown ? $" ({h.RequestSavings:P0} saved)" : " (socket bytes, frames included: the transport hides its frames)")}");
        text.AppendLine(inv, $"  response hdrs   {h.ResponseRaw,10} raw -> {h.ResponseWire} on the wire{(h.WireKnown ? $" ({h.ResponseSavings:P0} saved)" : " (socket bytes less bodies: the transport hides its frames)")}");
        if (r.Pushes.Received > 0)
        {
            text.AppendLine(inv, $"  pushes          {r.Pushes.Received,10} received, {r.Pushes.Used} used, {r.Pushes.Wasted} wasted ({r.Pushes.WastedBytes} bytes)");
        }

        if (r.LowerBound is { } bound && r.Link is { } link)
        {
            text.AppendLine(inv, $"  lower bound     {bound.Ms,10:F1} ms    ({link.Describe()}; load = {r.TimesLowerBound:F2}x the bound)");
            text.AppendLine(inv, $"                  download {bound.DownloadMs:F1} ms, upload {bound.UploadMs:F1} ms, chain of {bound.ChainDepth} levels + {bound.HandshakeRtts} handshake RTTs {bound.ChainMs:F1} ms");
        }

        foreach (var failed in r.ResourceList.Where(x => x.Error is not null).Take(10))
        {
            text.AppendLine(inv, $"  failed: {failed.Url}: {failed.Error}");
        }

        return text.ToString().TrimEnd();
    }
}
