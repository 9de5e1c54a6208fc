using System.CommandLine;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SpdyLab.Server.Certificates;
using SpdyLab.Sites.Replay;
using SpdyLab.Sites.Snapshots;
using SpdyLab.Server.Hosting;

namespace SpdyLab.Lab.Commands;

/// <summary>
/// <c>spdylab serve</c>: serves a folder of static files over SPDY/2, /3, /3.1, HTTP/2 and HTTP/1.1
/// (TLS ports, ALPN decides) and SPDY + HTTP/1.1 (cleartext ports, the first bytes decide).
/// </summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var root = new Option<string>("--root", "-r") { Description = "folder of static files to serve (or --site)" };
        var site = new Option<string>("--site") { Description = "replay a page snapshot instead: NAME (see 'spdylab sites list') or snapshot folder; routes by Host/:host" };
        var sitePush = new Option<bool>("--push")
        {
            Description = "with --site: each document's response carries X-Associated-Content naming its subresources, so SPDY clients get them pushed",
        };
        var siteHint = new Option<bool>("--hint")
        {
            Description = "with --site: each document's response carries X-Subresources (server hint) naming its subresources",
        };
        var tls = new Option<string[]>("--tls")
        {
            Description = "TLS endpoint ADDR:PORT (repeatable); ALPN offers spdy/3.1, spdy/3, spdy/2, h2, http/1.1",
            AllowMultipleArgumentsPerToken = false,
        };
        var plain = new Option<string[]>("--plain")
        {
            Description = "cleartext endpoint ADDR:PORT (repeatable); SPDY (any version) and HTTP/1.1 share it",
            AllowMultipleArgumentsPerToken = false,
        };
        var certDir = new Option<string>("--cert-dir")
        {
            Description = "certificate authority folder (created on first use)",
            DefaultValueFactory = _ => Path.Combine(LabPaths.Home, "ca"),
        };
        var hosts = new Option<string[]>("--host")
        {
            Description = "extra host name or IP for the certificate's SANs (repeatable; endpoint addresses and localhost are always in)",
            AllowMultipleArgumentsPerToken = false,
        };
        var pushRule = new Option<string[]>("--push-rule")
        {
            Description = "with --root: PATH=URL[,URL...]: responses to PATH carry X-Associated-Content, so SPDY pushes those URLs (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var plainV3 = new Option<string>("--plain-v3")
        {
            Description = "what a cleartext SPDY connection with wire version 3 speaks (the wire cannot tell): auto (3.1 once the peer sends a session WINDOW_UPDATE, else 3), spdy/3.1 or spdy/3",
            DefaultValueFactory = _ => "auto",
        };
        var shutdown = new Option<double>("--shutdown-timeout")
        {
            Description = "seconds in-flight streams get to finish after SIGINT/SIGTERM (GOAWAY is sent first)",
            DefaultValueFactory = _ => 1.5,
        };
        var logLevel = new Option<string>("--log-level")
        {
            Description = "trace, debug, information, warning, error",
            DefaultValueFactory = _ => "information",
        };

        var command = new Command("serve", "Serve a folder of static files (--root) or replay a page snapshot (--site) over SPDY/2, SPDY/3, SPDY/3.1, HTTP/2 and HTTP/1.1 (Kestrel).");
        foreach (var option in new Option[] { root, site, sitePush, siteHint, tls, plain, plainV3, certDir, hosts, pushRule, shutdown, logLevel })
        {
            command.Options.Add(option);
        }

        CommandActions.SetAction(command, async (parseResult, cancellationToken) =>
        {
            var settings = Settings(parseResult);

            RunningServer server;
            try
            {
                server = await StartAsync(settings, cancellationToken);
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync($"spdylab serve: {e.Message}");
                return CommandActions.RuntimeError;
            }
            await using var running = server;
            foreach (var line in server.Describe())
            {
                Console.WriteLine(line);
            }
            Console.WriteLine("serving; SIGINT or SIGTERM stops (GOAWAY, then in-flight streams finish)");
            // Either System.CommandLine's token or the host's own console lifetime (which handles
            // SIGTERM/SIGINT first and calls StopApplication) ends the wait.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, server.App.Lifetime.ApplicationStopping);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
            await server.StopAsync();
            var totals = server.App.Services.GetRequiredService<SpdyConnectionHandler>().Totals;
            var sum = totals.Sum;
            Console.WriteLine($"stopped; SPDY sessions: {totals.Sessions}, streams: {sum.StreamsOpenedByPeer}, pushes: {sum.PushesSent}, " +
                $"header bytes sent {sum.HeaderBytesSentRaw} -> {sum.HeaderBytesSentCompressed} compressed, " +
                $"received {sum.HeaderBytesReceivedRaw} -> {sum.HeaderBytesReceivedCompressed}, data bytes sent {sum.DataBytesSent}");
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The command line as settings. <c>--site</c> takes <c>--push</c> or <c>--hint</c> (the snapshot knows each
    /// document's subresources); <c>--root</c> takes <c>--push-rule PATH=URL</c> (static files know nothing of pages).
    /// </summary>
    internal static ServeSettings Settings(ParseResult parseResult)
    {
        var root = parseResult.GetValue<string>("--root");
        var site = parseResult.GetValue<string>("--site");
        var push = parseResult.GetValue<bool>("--push");
        var hint = parseResult.GetValue<bool>("--hint");
        var pushRules = parseResult.GetValue<string[]>("--push-rule") ?? [];
        if ((root is null) == (site is null))
        {
            throw new UsageException("give either --root FOLDER (static files) or --site NAME|DIR (a page snapshot)");
        }
        if (push && hint)
        {
            throw new UsageException("--push and --hint exclude each other: a site is replayed either with X-Associated-Content (push) or with X-Subresources (hint)");
        }
        if ((push || hint) && site is null)
        {
            throw new UsageException($"--{(push ? "push" : "hint")}: only with --site NAME|DIR (a snapshot names each document's subresources); with --root use --push-rule PATH=URL[,URL...]");
        }
        if (pushRules.Length > 0 && site is not null)
        {
            throw new UsageException("--push-rule: only with --root; with --site use --push (every document pushes its recorded subresources)");
        }
        if (root is not null && !Directory.Exists(root))
        {
            throw new UsageException($"--root: '{root}' is not a folder");
        }
        var settings = new ServeSettings
        {
            Root = root,
            Site = site is null ? null : SitesCommand.LoadSite("--site", site),
            SiteMode = push ? ReplayMode.Push : hint ? ReplayMode.Hint : ReplayMode.Plain,
            Tls = (parseResult.GetValue<string[]>("--tls") ?? []).Select(e => ParseEndpoint("--tls", e)).ToList(),
            Plain = (parseResult.GetValue<string[]>("--plain") ?? []).Select(e => ParseEndpoint("--plain", e)).ToList(),
            CertificateDirectory = parseResult.GetValue<string>("--cert-dir")!,
            Hosts = [.. parseResult.GetValue<string[]>("--host") ?? []],
            Pushes = ParsePushes(pushRules),
            ShutdownTimeout = TimeSpan.FromSeconds(parseResult.GetValue<double>("--shutdown-timeout")),
            CleartextVersion3 = parseResult.GetValue<string>("--plain-v3") switch
            {
                "auto" => null,
                "spdy/3.1" => SpdyWireVersion.Spdy31,
                "spdy/3" => SpdyWireVersion.Spdy3,
                var other => throw new UsageException($"--plain-v3: '{other}' is not a SPDY version with wire version 3; accepted: auto, spdy/3.1, spdy/3"),
            },
            LogLevel = ParseLogLevel(parseResult.GetValue<string>("--log-level")!),
        };
        if (settings.Tls.Count == 0 && settings.Plain.Count == 0)
        {
            settings.Tls.Add(new IPEndPoint(IPAddress.Loopback, 8443));
            settings.Plain.Add(new IPEndPoint(IPAddress.Loopback, 8080));
        }
        return settings;
    }

    /// <summary>Starts the static-file server (used by the command and by tests).</summary>
    internal static async Task<RunningServer> StartAsync(ServeSettings settings, CancellationToken cancellationToken)
    {
        X509Certificate2? certificate = null;
        X509Certificate2Collection? chain = null;
        LabCertificateAuthority? authority = null;
        if (settings.Tls.Count > 0)
        {
            authority = LabCertificateAuthority.OpenOrCreate(settings.CertificateDirectory);
            var names = settings.Hosts.Concat(settings.Site?.Exchanges.Select(e => e.Host.Split(':')[0]).Distinct() ?? []).Concat(settings.Tls
                .Where(e => !e.Address.Equals(IPAddress.Any) && !e.Address.Equals(IPAddress.IPv6Any))
                .Select(e => e.Address.ToString()));
            certificate = authority.IssueServerCertificate(names);
            chain = [authority.Root];
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Logging.SetMinimumLevel(settings.LogLevel);
        builder.Logging.AddFilter("Microsoft", settings.LogLevel < LogLevel.Warning && settings.LogLevel > LogLevel.Debug ? LogLevel.Warning : settings.LogLevel);
        // A failed start (port in use) is reported as one line by the command, not as a logged stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);
        builder.WebHost.ListenSpdy(settings.Tls, settings.Plain, certificate, chain, spdy =>
        {
            spdy.ShutdownTimeout = settings.ShutdownTimeout;
            spdy.CleartextVersion3 = settings.CleartextVersion3;
        });

        var app = builder.Build();
        if (settings.Site is not null)
        {
            app.UseSnapshotReplay(new SnapshotReplayOptions { Snapshot = settings.Site, Mode = settings.SiteMode });
            await app.StartAsync(cancellationToken);
            var siteAddresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
            return new RunningServer(app, settings, siteAddresses, authority, certificate);
        }
        var files = new PhysicalFileProvider(Path.GetFullPath(settings.Root!));
        if (settings.Pushes.Count > 0)
        {
            app.Use((context, next) =>
            {
                if (settings.Pushes.TryGetValue(context.Request.Path.Value ?? "/", out var urls))
                {
                    context.Response.Headers["X-Associated-Content"] = string.Join(", ", urls.Select(u => $"\"{u}\""));
                }
                return next(context);
            });
        }
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            ServeUnknownFileTypes = true,
            DefaultContentType = "application/octet-stream",
            ContentTypeProvider = new FileExtensionContentTypeProvider(),
        });

        await app.StartAsync(cancellationToken);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        return new RunningServer(app, settings, addresses, authority, certificate);
    }

    internal static IPEndPoint ParseEndpoint(string option, string text)
    {
        if (IPEndPoint.TryParse(text, out var endpoint) && text.Contains(':') && endpoint.Port is >= 0 and <= 65535)
        {
            return endpoint;
        }
        var colon = text.LastIndexOf(':');
        if (colon > 0 && text[..colon] == "localhost" && int.TryParse(text[(colon + 1)..], out var port) && port is >= 0 and <= 65535)
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }
        throw new UsageException($"{option}: '{text}' is not ADDR:PORT; accepted: 127.0.0.1:8443, 0.0.0.0:443, [::1]:8080, localhost:8080");
    }

    internal static Dictionary<string, List<string>> ParsePushes(IEnumerable<string> specs)
    {
        var pushes = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            var equals = spec.IndexOf('=');
            if (equals <= 0 || !spec.StartsWith('/') || equals == spec.Length - 1)
            {
                throw new UsageException($"--push-rule: '{spec}' is not PATH=URL[,URL...]; accepted: /index.html=/style.css,/app.js");
            }
            var path = spec[..equals];
            var urls = spec[(equals + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (!pushes.TryGetValue(path, out var list))
            {
                pushes[path] = list = [];
            }
            list.AddRange(urls);
        }
        return pushes;
    }

    private static LogLevel ParseLogLevel(string text) => text.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "information" or "info" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => throw new UsageException($"--log-level: '{text}' is not a level; accepted: trace, debug, information, warning, error"),
    };

    internal sealed class ServeSettings
    {
        public string? Root { get; init; }
        public Snapshot? Site { get; init; }
        public ReplayMode SiteMode { get; init; } = ReplayMode.Plain;
        public List<IPEndPoint> Tls { get; init; } = [];
        public List<IPEndPoint> Plain { get; init; } = [];
        public required string CertificateDirectory { get; init; }
        public List<string> Hosts { get; init; } = [];
        public Dictionary<string, List<string>> Pushes { get; init; } = [];
        public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(1.5);
        public SpdyWireVersion? CleartextVersion3 { get; init; } // null: decided by the peer (SpdyServerOptions.CleartextVersion3)
        public LogLevel LogLevel { get; init; } = LogLevel.Information;
    }

    internal sealed class RunningServer(WebApplication app, ServeSettings settings, List<string> addresses,
        LabCertificateAuthority? authority, X509Certificate2? certificate) : IAsyncDisposable
    {
        private int _stopped;

        /// <summary>Bound addresses as Kestrel reports them (https://... for TLS ports, http://... for cleartext).</summary>
        public IReadOnlyList<string> Addresses => addresses;

        public IEnumerable<Uri> TlsUris => addresses.Where(a => a.StartsWith("https://", StringComparison.Ordinal)).Select(a => new Uri(a));

        public IEnumerable<Uri> PlainUris => addresses.Where(a => a.StartsWith("http://", StringComparison.Ordinal)).Select(a => new Uri(a));

        public WebApplication App => app;

        public IEnumerable<string> Describe()
        {
            yield return settings.Site is { } site
                ? $"site: {site.Name} ({site.Exchanges.Count} exchanges, {site.Exchanges.Select(e => e.Host).Distinct().Count()} hosts; mode {settings.SiteMode.ToString().ToLowerInvariant()}) from {site.Directory}"
                : $"root: {Path.GetFullPath(settings.Root!)}";
            foreach (var uri in TlsUris)
            {
                yield return $"tls:   {uri.GetLeftPart(UriPartial.Authority)}  (ALPN: spdy/3.1, spdy/3, spdy/2, h2, http/1.1)";
            }
            foreach (var uri in PlainUris)
            {
                yield return $"plain: {uri.GetLeftPart(UriPartial.Authority)}  (SPDY/2, {(settings.CleartextVersion3 is { } v3 ? SpdyServerOptions.AlpnId(v3) : "spdy/3 or spdy/3.1")} by first frame; HTTP/1.1)";
            }
            if (authority is not null && certificate is not null)
            {
                yield return $"certificate: {certificate.Subject}; SANs: {string.Join(", ", SubjectAlternativeNames(certificate))}";
                yield return $"CA: {Path.Combine(authority.Folder, LabCertificateAuthority.RootCertificateFile)}";
                yield return $"SPKI hash: {authority.LeafSpkiHash}";
                yield return $"  chromium --ignore-certificate-errors-spki-list={authority.LeafSpkiHash}";
            }
        }

        public async Task StopAsync()
        {
            if (Interlocked.Exchange(ref _stopped, 1) == 0)
            {
                using var bound = new CancellationTokenSource(settings.ShutdownTimeout + TimeSpan.FromSeconds(1));
                await app.StopAsync(bound.Token);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            await app.DisposeAsync();
        }

        private static IEnumerable<string> SubjectAlternativeNames(X509Certificate2 certificate) =>
            certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>()
                .SelectMany(san => san.EnumerateDnsNames().Concat(san.EnumerateIPAddresses().Select(ip => ip.ToString())));
    }
}
