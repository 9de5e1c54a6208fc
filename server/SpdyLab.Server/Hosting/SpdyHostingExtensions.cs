using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SpdyLab.Server.Hosting;

/// <summary>Wires SPDY into Kestrel: the app-capturing server, TLS (ALPN) and cleartext listeners.</summary>
public static class SpdyHostingExtensions
{
    /// <summary>
    /// Adds SPDY to a Kestrel web host: registers the SPDY services and wraps Kestrel's
    /// <see cref="IServer"/> so SPDY streams run through the host's application. Listeners still
    /// need <see cref="UseSpdyTls"/> or <see cref="UseSpdyCleartext"/> (or use <see cref="ListenSpdy"/>).
    /// </summary>
    public static IWebHostBuilder UseSpdy(this IWebHostBuilder builder, Action<SpdyServerOptions>? configure = null)
    {
        builder.UseKestrel();
        builder.ConfigureServices(services =>
        {
            services.AddOptions<SpdyServerOptions>();
            if (configure is not null)
            {
                services.Configure(configure);
            }
            services.AddSingleton<SpdyApplication>();
            services.AddSingleton<SpdyConnectionHandler>();
            services.AddTransient<IStartupFilter, DropAssociatedContentStartupFilter>();
            DecorateServer(services);
        });
        return builder;
    }

    /// <summary>UseSpdy, plus Kestrel listeners: TLS ones (ALPN: SPDY, h2, http/1.1) and cleartext ones (SPDY and HTTP/1.1).</summary>
    public static IWebHostBuilder ListenSpdy(this IWebHostBuilder builder, IEnumerable<IPEndPoint> tls, IEnumerable<IPEndPoint> cleartext,
        X509Certificate2? certificate, X509Certificate2Collection? chain = null, Action<SpdyServerOptions>? configure = null)
    {
        var tlsList = tls.ToList();
        var plainList = cleartext.ToList();
        if (tlsList.Count > 0 && certificate is null)
        {
            throw new ArgumentException("TLS endpoints need a certificate", nameof(certificate));
        }
        builder.UseSpdy(configure);
        builder.ConfigureKestrel(kestrel =>
        {
            foreach (var endpoint in tlsList)
            {
                kestrel.Listen(endpoint, listen => listen.UseSpdyTls(certificate!, chain));
            }
            foreach (var endpoint in plainList)
            {
                kestrel.Listen(endpoint, listen => listen.UseSpdyCleartext());
            }
        });
        return builder;
    }

    /// <summary>
    /// TLS listener whose ALPN offers spdy/3.1, spdy/3, spdy/2 (those enabled), h2 and http/1.1:
    /// SPDY connections go to our session, the others to Kestrel's HTTP/2 and HTTP/1.1.
    /// </summary>
    public static ListenOptions UseSpdyTls(this ListenOptions listen, X509Certificate2 certificate, X509Certificate2Collection? chain = null)
    {
        var handler = listen.ApplicationServices.GetRequiredService<SpdyConnectionHandler>();
        var options = handler.Options;
        listen.Protocols = options.OfferHttp2 ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
        var alpn = options.Versions.Select(v => new SslApplicationProtocol(SpdyServerOptions.AlpnId(v))).ToList();
        if (options.OfferHttp2)
        {
            alpn.Add(SslApplicationProtocol.Http2);
        }
        alpn.Add(SslApplicationProtocol.Http11);
        listen.UseHttps(https =>
        {
            https.ServerCertificate = certificate;
            if (chain is not null)
            {
                https.ServerCertificateChain = chain;
            }
            // Kestrel sets ALPN from Protocols (h2, http/1.1) before this callback; we put SPDY in front.
            // The server's order wins, so a client offering spdy/3.1 and h2 gets spdy/3.1.
            https.OnAuthenticate = (_, ssl) => ssl.ApplicationProtocols = alpn;
        });
        listen.Use(next => SpdyConnectionMiddleware.AfterTls(next, handler));
        return listen;
    }

    /// <summary>Cleartext listener where SPDY (any enabled version, told by the first frame) and HTTP/1.1 share the port.</summary>
    public static ListenOptions UseSpdyCleartext(this ListenOptions listen)
    {
        var handler = listen.ApplicationServices.GetRequiredService<SpdyConnectionHandler>();
        listen.Protocols = HttpProtocols.Http1;
        listen.Use(next => SpdyConnectionMiddleware.Cleartext(next, handler));
        return listen;
    }

    private static void DecorateServer(IServiceCollection services)
    {
        var kestrel = services.LastOrDefault(d => d.ServiceType == typeof(IServer))
            ?? throw new InvalidOperationException("no IServer registered: UseKestrel() must come first");
        if (kestrel.ImplementationFactory?.Target is CapturingFactory)
        {
            return; // already decorated
        }
        services.RemoveAll(typeof(IServer));
        services.AddSingleton<IServer>(new CapturingFactory(kestrel).Create);
    }

    private sealed class CapturingFactory(ServiceDescriptor inner)
    {
        public IServer Create(IServiceProvider services)
        {
            var server = inner switch
            {
                { ImplementationInstance: IServer instance } => instance,
                { ImplementationFactory: { } factory } => (IServer)factory(services),
                { ImplementationType: { } type } => (IServer)ActivatorUtilities.CreateInstance(services, type),
                _ => throw new InvalidOperationException("cannot build the inner IServer"),
            };
            return new ApplicationCapturingServer(server, services.GetRequiredService<SpdyApplication>());
        }
    }
}
