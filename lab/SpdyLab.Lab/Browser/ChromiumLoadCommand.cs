using System.Net;
using System.Security.Cryptography.X509Certificates;
using SpdyLab.Client.PageLoad;
using SpdyLab.Lab.Commands;
using SpdyLab.Server.Certificates;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Lab.Browser;

/// <summary><c>spdylab load --client chromium</c>: the same page and server as the built-in client, loaded by Chromium.</summary>
internal static class ChromiumLoadCommand
{
    public static async Task<int> RunAsync(Snapshot snapshot, string protocol, bool tls, HostMap hosts, string? caFile,
        bool json, string? harFile, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (protocol is not ("http/1.1" or "h2"))
            throw new UsageException($"--client chromium: --protocol '{protocol}' is not one Chromium speaks (SPDY was removed in 2016); accepted: http/1.1, h2");
        if (protocol == "h2" && !tls)
            throw new UsageException("--client chromium: h2 needs --tls (Chromium has no cleartext HTTP/2)");
        if (ChromiumLauncher.WhyUnavailable() is { } problem)
        {
            await Console.Error.WriteLineAsync($"spdylab load: {problem}");
            return CommandActions.RuntimeError;
        }

        var map = new Dictionary<string, IPEndPoint>(hosts.Hosts, StringComparer.OrdinalIgnoreCase);
        if (hosts.Default is { } rest) map["*"] = rest;
        var trusted = new List<string>();
        if (caFile is not null) trusted.Add(LabCertificateAuthority.SpkiHash(X509Certificate2.CreateFromPemFile(caFile)));
        // The lab's own CA (spdylab serve issues from it): its root and the leaf key every server certificate shares.
        var labCa = Path.Combine(LabPaths.Home, "ca");
        if (tls && File.Exists(Path.Combine(labCa, LabCertificateAuthority.RootCertificateFile)))
        {
            var authority = LabCertificateAuthority.OpenOrCreate(labCa);
            trusted.AddRange([authority.RootSpkiHash, authority.LeafSpkiHash]);
        }
        var options = new ChromiumOptions { Hosts = map, KeepUrlPort = false, TrustedSpkiHashes = trusted };
        var url = Runner.WorldTrialExecutor.PageUrl(snapshot, tls);

        ChromiumLoadResult result;
        try
        {
            result = await ChromiumPageLoad.LoadAsync(url, protocol, options, harFile is null ? null : Path.GetFullPath(harFile), timeout, cancellationToken);
        }
        catch (Exception e) when (e is ChromiumUnavailableException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"spdylab load: {e.Message}");
            return CommandActions.RuntimeError;
        }
        Console.WriteLine(json ? result.ToJson() : result.Summary());
        bool ok = !result.TimedOut && result.Error is null && result.NegotiatedProtocol == protocol;
        if (!ok && result.NegotiatedProtocol != protocol)
            await Console.Error.WriteLineAsync($"spdylab load: Chromium negotiated '{result.NegotiatedProtocol}', not {protocol}");
        if (result.FailedRequests.Count > 0)
        {
            ok = false;
            await Console.Error.WriteLineAsync(
                $"spdylab load: {result.FailedRequests.Count} request(s) failed or were blocked (first: {result.FailedRequests[0]}); " +
                "Chromium did not load the whole page (a server other than `spdylab serve --site`? docs/browser.md)");
        }
        return ok ? 0 : CommandActions.RuntimeError;
    }
}
