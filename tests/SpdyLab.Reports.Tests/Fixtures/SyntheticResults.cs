using System.Globalization;
using System.Text.Json;
using SpdyLab.Results;

namespace SpdyLab.Reports.Tests.Fixtures;

/// <summary>
/// A realistic synthetic experiment (the paper's design at reduced size): sites of different weight, DSL
/// and cable, the paper's Table 1 rows over TCP and TLS, a loss sweep and an RTT sweep on cable, header
/// and packet counters, lower bounds, and one HAR. Page load times follow a simple model with paired
/// run noise, tuned so SPDY's speedups land near the paper's; deterministic (seeded).
/// </summary>
internal static class SyntheticResults
{
    public static readonly string[] AllSites =
    [
        "google.com", "yahoo.com", "youtube.com", "facebook.com", "live.com", "wikipedia.org", "blogger.com", "msn.com",
        "baidu.com", "yahoo.co.jp", "myspace.com", "qq.com", "twitter.com", "sina.com.cn", "amazon.com", "microsoft.com",
        "ebay.com", "bing.com", "wordpress.com", "aol.com", "craigslist.org", "imdb.com", "flickr.com", "apple.com", "cnn.com",
    ];

    private sealed record Row(string Protocol, string Transport, string Domain, string Feature, double DslSpeedup, double CableSpeedup);

    private static readonly Row[] Table1Rows =
    [
        new(Protocols.Http11, Transports.Tcp, DomainModes.Multi, Features.None, 0, 0),
        new(Protocols.Spdy3, Transports.Tcp, DomainModes.Multi, Features.None, 0.27, 0.41),
        new(Protocols.Spdy3, Transports.Tcp, DomainModes.Single, Features.None, 0.44, 0.58),
        new(Protocols.Spdy3, Transports.Tcp, DomainModes.Single, Features.Push, 0.45, 0.57),
        new(Protocols.Spdy3, Transports.Tcp, DomainModes.Single, Features.Hint, 0.47, 0.62),
        new(Protocols.Http11, Transports.Tls, DomainModes.Multi, Features.None, 0, 0),
        new(Protocols.Spdy3, Transports.Tls, DomainModes.Single, Features.None, 0.40, 0.52),
        new(Protocols.Spdy3, Transports.Tls, DomainModes.Single, Features.Prefetch, 0.43, 0.55),
    ];

    public static Fixture Create(int sites = 25, int runs = 5, bool withHar = true)
    {
        var fixture = new Fixture("synthetic");
        var random = new Random(7);
        var weights = AllSites.Take(sites).ToDictionary(s => s, _ => 0.45 + random.NextDouble() * 1.4);
        var siteBias = AllSites.Take(sites).ToDictionary(s => s, _ => (random.NextDouble() - 0.5) * 0.16);
        double Noise(double sigma) => Math.Exp(sigma * Gaussian(random));

        foreach (var (link, httpBase, rtt) in new[] { ("dsl", 3100.0, 50.0), ("cable", 2330.0, 50.0) })
        {
            foreach (var site in weights.Keys)
            {
                for (var run = 0; run < runs; run++)
                {
                    var runFactor = Noise(0.07);
                    foreach (var row in Table1Rows)
                    {
                        var speedup = row.Protocol == Protocols.Http11 ? 0 : (link == "dsl" ? row.DslSpeedup : row.CableSpeedup) + siteBias[site];
                        var tls = row.Transport == Transports.Tls ? 1.12 : 1;
                        var plt = httpBase * weights[site] * tls * runFactor * (1 - speedup) * Noise(0.04);
                        var trial = Counters(Fixture.Trial(Designs.Table1, site, run, link, row.Protocol, row.Domain, row.Feature, plt, row.Transport, 0.01, rtt),
                            weights[site], random);
                        if (withHar && site == "google.com" && run == 0 && link == "dsl" && row.Protocol == Protocols.Spdy3
                            && row.Domain == DomainModes.Single && row.Feature == Features.None && row.Transport == Transports.Tcp)
                        {
                            trial.HarPath = Path.Combine("har", "google.com-spdy3-single-run0.har");
                            Directory.CreateDirectory(Path.Combine(fixture.Directory, "har"));
                            File.WriteAllText(Path.Combine(fixture.Directory, trial.HarPath), Har(plt, 34, new Random(3)));
                        }
                        fixture.Add(trial);
                    }
                }
            }
        }

        // Table 2: loss sweep on cable. Gains grow to 2% and collapse above 2.5% (the paper's shape).
        var lossSpeedups = new[] { (0.0, 0.36), (0.005, 0.43), (0.01, 0.49), (0.015, 0.53), (0.02, 0.56), (0.025, 0.31), (0.03, 0.04) };
        // Table 3: RTT sweep on cable, no extra loss beyond the design's 1%.
        var rttSpeedups = new[] { (20.0, 0.10), (40.0, 0.14), (80.0, 0.19), (120.0, 0.22), (160.0, 0.25), (200.0, 0.27) };
        foreach (var site in weights.Keys.Take(Math.Min(sites, 12)))
        {
            for (var run = 0; run < Math.Min(runs, 3); run++)
            {
                foreach (var (loss, speedup) in lossSpeedups)
                {
                    var runFactor = Noise(0.07);
                    var http = 1900 * weights[site] * (1 + 45 * loss) * runFactor;
                    fixture.Add(Counters(Fixture.Trial(Designs.Table2, site, run, "cable", Protocols.Http11, DomainModes.Multi, Features.None, http * Noise(0.04), loss: loss), weights[site], random));
                    fixture.Add(Counters(Fixture.Trial(Designs.Table2, site, run, "cable", Protocols.Spdy3, DomainModes.Single, Features.None,
                        http * (1 - speedup - siteBias[site]) * Noise(0.04), loss: loss), weights[site], random));
                }
                foreach (var (rtt, speedup) in rttSpeedups)
                {
                    var runFactor = Noise(0.07);
                    var http = (900 + 16 * rtt) * weights[site] * runFactor;
                    fixture.Add(Counters(Fixture.Trial(Designs.Table3, site, run, "cable", Protocols.Http11, DomainModes.Multi, Features.None, http * Noise(0.04), rtt: rtt), weights[site], random));
                    fixture.Add(Counters(Fixture.Trial(Designs.Table3, site, run, "cable", Protocols.Spdy3, DomainModes.Single, Features.None,
                        http * (1 - speedup - siteBias[site] / 2) * Noise(0.04), rtt: rtt), weights[site], random));
                }
            }
        }

        if (withHar)
        {
            // One Chromium load with its HAR (a design of its own, so the paper's tables are unchanged): the waterfall for both clients.
            var chromium = Counters(Fixture.Trial(Designs.Custom, "google.com", 0, "dsl", Protocols.H2, DomainModes.Multi, Features.None, 2050, Transports.Tls),
                weights["google.com"], random);
            chromium.Client = Clients.Chromium;
            chromium.TrialKey = chromium.DefaultKey();
            chromium.HarPath = Path.Combine("har", "google.com-chromium-h2-run0.har");
            Directory.CreateDirectory(Path.Combine(fixture.Directory, "har"));
            File.WriteAllText(Path.Combine(fixture.Directory, chromium.HarPath), Har(2050, 28, new Random(5), tls: true));
            fixture.Add(chromium);
        }
        return fixture;
    }

    private static TrialRecord Counters(TrialRecord t, double weight, Random random)
    {
        var spdy = Protocols.IsMultiplexed(t.Protocol);
        var requests = (int)(22 + weight * 48);
        var bodyDown = (long)(weight * 230_000);
        t.Requests = requests;
        t.Connections = spdy ? (t.DomainMode == DomainModes.Single ? 1 : 4) : Math.Min(6 * 4, 6 + requests / 4);
        t.TtfbMs = t.RttMs * (t.Transport == Transports.Tls ? 4 : 2) + 30 + random.NextDouble() * 20;
        t.HeaderBytesUpRaw = requests * (430L + random.Next(60));
        t.HeaderBytesUpWire = spdy ? (long)(t.HeaderBytesUpRaw * (0.11 + random.NextDouble() * 0.03)) : t.HeaderBytesUpRaw;
        t.HeaderBytesDownRaw = requests * (330L + random.Next(50));
        t.HeaderBytesDownWire = spdy ? (long)(t.HeaderBytesDownRaw * (0.14 + random.NextDouble() * 0.03)) : t.HeaderBytesDownRaw;
        t.BodyBytesDown = bodyDown;
        t.BodyBytesUp = 0;
        t.BytesUp = t.HeaderBytesUpWire + requests * 9;
        t.BytesDown = bodyDown + t.HeaderBytesDownWire;
        var packetsDown = t.BytesDown!.Value / 1400 + (spdy ? requests / 3 : requests * 3);
        var packetsUp = spdy ? packetsDown / 3 + requests / 2 : packetsDown / 2 + requests * 3;
        (t.PacketsDown, t.PacketsUp) = (packetsDown, packetsUp);
        (t.LinkBytesDown, t.LinkBytesUp) = (t.BytesDown + packetsDown * 52, t.BytesUp + packetsUp * 52);
        t.DropsLossDown = (long)(packetsDown * t.Loss);
        t.DropsLossUp = (long)(packetsUp * t.Loss);
        (t.DropsQueueDown, t.DropsQueueUp) = (random.Next(3), 0);
        // Packet evidence as the captures would give it: the senders' packets (lost ones included), and under
        // loss HTTP's many short connections end more of their losses in timeouts than SPDY's one connection.
        (t.PcapPacketsDown, t.PcapPacketsUp) = (packetsDown + t.DropsLossDown, packetsUp + t.DropsLossUp);
        (t.PcapBytesDown, t.PcapBytesUp) = (t.LinkBytesDown, t.LinkBytesUp);
        (t.PcapHeaderBytesDown, t.PcapHeaderBytesUp) = (t.PcapPacketsDown * 52, t.PcapPacketsUp * 52);
        t.PcapConnections = t.Connections;
        t.PcapSynRetransmissions = random.NextDouble() < t.Loss * t.Connections!.Value ? 1 : 0;
        t.PcapSynWaitMs = t.PcapSynRetransmissions * 1000.0;
        (t.PcapRetransmissionsDown, t.PcapRetransmissionsUp) = (t.DropsLossDown, t.DropsLossUp);
        long losses = t.DropsLossDown!.Value + t.DropsLossUp!.Value;
        t.PcapRecoveriesTimeout = spdy ? losses / 5 : losses / 2;
        t.PcapRecoveriesFast = (losses - t.PcapRecoveriesTimeout) / 2;
        t.PcapRecoveriesOther = losses - t.PcapRecoveriesTimeout - t.PcapRecoveriesFast;
        t.LowerBoundMs = t.LinkBytesDown!.Value * 8.0 / t.DownBps * 1000 + 3 * t.RttMs;
        t.DclMs = t.PltMs * 0.6;
        t.OnloadMs = t.PltMs;
        t.FinishedAt = t.StartedAt.AddMilliseconds(t.PltMs!.Value + 200);
        return t;
    }

    /// <summary>A HAR 1.2 of a single-domain load: the document, then CSS/JS, then images, on one connection (over TLS: a
    /// handshake on the first request, HAR's "ssl" inside "connect").</summary>
    internal static string Har(double plt, int requests, Random random, bool tls = false)
    {
        var start = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);
        var entries = new List<object>();
        var documentEnd = 0.0;
        for (var i = 0; i < requests; i++)
        {
            var kind = i == 0 ? "index.html" : i < 6 ? $"static/app{i}.css" : i < 10 ? $"static/lib{i}.js" : $"images/img{i:00}.png";
            double started, connect = -1, ssl = -1, dns = -1, blocked = 0;
            if (i == 0)
            {
                started = 0;
                dns = 2;
                connect = tls ? 130 : 52;
                ssl = tls ? 78 : -1;
            }
            else
            {
                started = documentEnd * (0.4 + 0.6 * random.NextDouble()) + (i >= 10 ? plt * 0.25 : 0) * random.NextDouble();
                blocked = random.NextDouble() * 8;
            }
            var wait = 50 + random.NextDouble() * 60;
            var receive = i == 0 ? 220 : Math.Max(5, (plt - started - wait) * (0.1 + 0.6 * random.NextDouble()));
            var send = 0.3;
            if (i == 0)
            {
                documentEnd = dns + connect + send + wait + receive;
            }
            var time = blocked + Math.Max(0, dns) + Math.Max(0, connect) + send + wait + receive;
            var host = i < 10 ? "www.google.com" : "ssl.gstatic.com";
            var scheme = tls ? "https" : "http";
            entries.Add(new Dictionary<string, object>
            {
                ["startedDateTime"] = start.AddMilliseconds(started).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["time"] = time,
                ["request"] = new Dictionary<string, object> { ["method"] = "GET", ["url"] = $"{scheme}://{host}/{kind}", ["httpVersion"] = tls ? "h2" : "spdy/3" },
                ["response"] = new Dictionary<string, object> { ["status"] = 200 },
                ["timings"] = new Dictionary<string, double> { ["blocked"] = blocked, ["dns"] = dns, ["connect"] = connect, ["ssl"] = ssl, ["send"] = send, ["wait"] = wait, ["receive"] = receive },
            });
        }
        return JsonSerializer.Serialize(new { log = new { version = "1.2", creator = new { name = "synthetic", version = "1" }, entries } });
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
