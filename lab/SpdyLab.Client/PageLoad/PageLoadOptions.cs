namespace SpdyLab.Client.PageLoad;

/// <summary>How to load a page: protocol, TLS, SPDY's session layout and features, where hosts live.</summary>
public sealed class PageLoadOptions
{
    /// <summary>http/1.1, spdy/2, spdy/3, spdy/3.1 or h2.</summary>
    public string Protocol { get; init; } = "http/1.1";

    public bool Tls { get; init; }

    public PageTlsOptions? TlsOptions { get; init; }

    /// <summary>SPDY: one session for every host (every host is served at one address; :host routes).</summary>
    public bool SingleDomain { get; init; }

    /// <summary>Fetch the resources named by an <c>X-Subresources</c> response header at once (server hint).</summary>
    public bool FollowHints { get; init; } = true;

    /// <summary>Client prefetch: request every known subresource of the page as soon as the document's headers arrive.</summary>
    public bool Prefetch { get; init; }

    /// <summary>Label for the result: plain, push, hint or prefetch (push and hint are the server's doing).</summary>
    public string Feature { get; init; } = "plain";

    public required HostMap Hosts { get; init; }

    /// <summary>Whole-load limit; what has not completed by then is reported as failed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>HTTP/1.1 connections per host (6, as browsers of the time).</summary>
    public int MaxConnectionsPerHost { get; init; } = Http11Transport.MaxConnectionsPerHost;

    /// <summary>
    /// A second TCP connect is started when the first has no answer after this long, and whichever completes
    /// first is used: Chromium's backup connect job (ClientSocketPool's kMaxConnectRetryIntervalMs, 250 ms),
    /// which spares a page the kernel's 1 s SYN retransmission timeout when a SYN or SYN-ACK is lost.
    /// Null turns it off (only the kernel's SYN retransmissions).
    /// </summary>
    public TimeSpan? BackupConnectAfter { get; init; } = PageConnector.ChromiumBackupConnectDelay;

    /// <summary>Builds the SPDY transport (the SPDY client session lives outside the page loader).</summary>
    public Func<SpdyTransportContext, IPageTransport>? SpdyTransportFactory { get; init; }
}

/// <summary>What a SPDY transport needs from the loader.</summary>
public sealed class SpdyTransportContext
{
    public required PageLoadOptions Options { get; init; }

    public required PageConnector Connector { get; init; }

    public required PageDescription Page { get; init; }

    /// <summary>Milliseconds since navigation start.</summary>
    public required Func<double> Clock { get; init; }
}
