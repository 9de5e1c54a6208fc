using System.CommandLine;
using SpdyLab.Lab.Experiments;
using SpdyLab.Lab.Validation;
using SpdyLab.Results;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Commands;

/// <summary>
/// <c>spdylab validate</c>: the built-in client (the model every SPDY figure comes from) against real Chromium on
/// the same snapshots, links and protocols (HTTP/1.1 and HTTP/2 over TLS), with the report's "Model validation"
/// section and the issue #19 targets printed at the end (docs/browser.md, "Validation").
/// </summary>
public static class ValidateCommand
{
    public static Command Create()
    {
        var shared = new ExperimentOptions();
        shared.Parallel.Description = $"Worlds (trials) at the same time (default {ValidationPlan.DefaultParallel}: Chromium's compute is part of its " +
                                      "page load time, so worlds side by side on a shared CPU inflate Chromium's figures more than the model's)";
        var sites = new Option<string?>("--sites")
        {
            Description = "Comma-separated site names, or 'corpus' (every shipped site, the default), 'imported' (every site imported with " +
                          "'spdylab sites import', e.g. the real HARs), 'all' (both)",
        };
        var links = new Option<string?>("--links")
        {
            Description = $"Comma-separated links as PRESET@LOSS (default {ValidationPlan.DefaultLinks}; presets: {LinkPresets.Names})",
        };
        var runs = new Option<int?>("--runs") { Description = $"Runs per site, link, protocol and client (default {ValidationPlan.DefaultRuns})" };
        var rtt = new Option<string?>("--rtt") { Description = "RTT of links without one of their own (dsl, cable); default 40ms" };
        var seed = new Option<ulong?>("--seed") { Description = $"Base seed of the loss patterns and the order (default {ValidationPlan.DefaultSeed})" };
        var heldOutFrom = new Option<string?>("--held-out-from")
        {
            Description = "LINK@LOSS/PROTOCOL, the cell a model was calibrated on (e.g. cable@1%/h2): marked 'calibration' in the output, " +
                          "the other cells 'held out', and the targets are given for the held-out cells apart",
        };
        var command = new Command("validate",
            "Validate the built-in client against real Chromium: every site on DSL and cable (1% loss) and cable without loss, HTTP/1.1 and " +
            "HTTP/2 over TLS, both clients, 5 runs; per site the PLT difference with a 95% CI, each client's protocol effect side by side, " +
            "and the targets (PLT within 10% in 90% of cells, protocol effect within 5 pp on every link).");
        foreach (var option in new Option[] { sites, links, runs, rtt, seed, heldOutFrom }) command.Options.Add(option);
        shared.AddTo(command, includeRunsAndSites: false);
        CommandActions.SetAction(command, async (parseResult, cancellationToken) =>
        {
            var plan = BuildPlan(SitesCommand.Catalog(), parseResult.GetValue(sites), parseResult.GetValue(links), parseResult.GetValue(runs),
                parseResult.GetValue(rtt), parseResult.GetValue(seed), parseResult.GetValue(heldOutFrom));
            var options = shared.Read(parseResult) with { Parallel = parseResult.GetValue(shared.Parallel) ?? ValidationPlan.DefaultParallel };
            return await ValidationService.RunAsync(plan, options, Console.Out, cancellationToken);
        });
        return command;
    }

    /// <summary>The plan the options describe; a bad option throws a UsageException naming it and what is accepted.</summary>
    internal static ValidationPlan BuildPlan(SiteCatalog catalog, string? sites, string? links, int? runs, string? rtt, ulong? seed, string? heldOutFrom)
    {
        if (runs is < 1 or > 1000) throw new UsageException($"--runs: {runs} is out of range; accepted: 1 to 1000");
        var linkSpecs = new List<ValidationLinkSpec>();
        foreach (var text in (links ?? ValidationPlan.DefaultLinks).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var spec = ValidationLinkSpec.Parse("--links", text);
            if (!linkSpecs.Contains(spec)) linkSpecs.Add(spec);
        }
        if (linkSpecs.Count == 0) throw new UsageException($"--links: no link given; accepted: comma-separated PRESET@LOSS, e.g. {ValidationPlan.DefaultLinks}");

        (ValidationLinkSpec, string)? calibration = null;
        if (heldOutFrom is not null)
        {
            // The protocol itself has a slash (http/1.1): the link ends at the first one.
            var slash = heldOutFrom.IndexOf('/');
            if (slash < 0) throw new UsageException($"--held-out-from: '{heldOutFrom}' is not LINK@LOSS/PROTOCOL; e.g. cable@1%/h2 or dsl@1%/http/1.1");
            var link = ValidationLinkSpec.Parse("--held-out-from", heldOutFrom[..slash]);
            var protocol = heldOutFrom[(slash + 1)..].Trim().ToLowerInvariant();
            if (!ValidationPlan.ProtocolsCompared.Contains(protocol))
                throw new UsageException($"--held-out-from: '{protocol}' is not a protocol both clients load; accepted: {string.Join(", ", ValidationPlan.ProtocolsCompared)}");
            if (!linkSpecs.Contains(link))
                throw new UsageException($"--held-out-from: {link.Name} is not one of the links validated ({string.Join(", ", linkSpecs.Select(l => l.Name))})");
            calibration = (link, protocol);
        }

        return new ValidationPlan
        {
            Sites = ResolveSites(catalog, sites),
            Links = linkSpecs,
            Runs = runs ?? ValidationPlan.DefaultRuns,
            RttMs = rtt is null ? 40 : ExperimentOptions.ParseRtt("--rtt", rtt),
            Seed = seed ?? ValidationPlan.DefaultSeed,
            Calibration = calibration,
        };
    }

    /// <summary>Names (each must be a snapshot of the catalog) and the words corpus, imported and all, in the order given.</summary>
    internal static IReadOnlyList<string> ResolveSites(SiteCatalog catalog, string? text)
    {
        var entries = catalog.List();
        var result = new List<string>();
        foreach (var word in (text ?? "corpus").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            IEnumerable<string> names = word switch
            {
                "corpus" => Some(entries.Where(e => e.Shipped), $"'corpus': no shipped snapshot in {catalog.CorpusFolder}; generate it with './spdylab sites generate'"),
                "imported" => Some(entries.Where(e => !e.Shipped), $"'imported': no imported snapshot in {catalog.UserFolder}; import one with './spdylab sites import FILE.har --name NAME'"),
                "all" => Some(entries, $"'all': no snapshot in {catalog.CorpusFolder} or {catalog.UserFolder}"),
                _ => entries.Any(e => e.Name == word) ? [word]
                    : throw new UsageException($"--sites: no snapshot named '{word}'; known: {string.Join(", ", entries.Select(e => e.Name))} " +
                                               "(or corpus, imported, all)"),
            };
            foreach (var name in names)
            {
                if (!result.Contains(name)) result.Add(name);
            }
        }
        if (result.Count == 0) throw new UsageException("--sites: no site given; accepted: comma-separated names, or corpus, imported, all");
        return result;
    }

    private static IEnumerable<string> Some(IEnumerable<SiteCatalog.Entry> entries, string whenNone)
    {
        var names = entries.Select(e => e.Name).Order(StringComparer.Ordinal).ToList();
        return names.Count > 0 ? names : throw new UsageException("--sites: " + whenNone);
    }
}
