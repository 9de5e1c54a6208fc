using System.Net;

namespace SpdyLab.Lab.Browser;

/// <summary>
/// How to start Chromium for one lab page load (or a recording): which binary, where each host name
/// resolves, which certificates to accept, and which protocols to allow.
/// </summary>
public sealed record ChromiumOptions
{
    public const string DefaultExecutable = "/usr/bin/chromium";

    /// <summary>The Chromium binary (Debian's by default; never a Playwright download).</summary>
    public string ExecutablePath { get; init; } = DefaultExecutable;

    /// <summary>
    /// Host name -> address (and port, when not the URL's) that Chromium connects to instead of asking
    /// DNS. Becomes <c>--host-resolver-rules</c>; every other name fails to resolve (no DNS leaves the lab).
    /// A key of "*" maps every host not named.
    /// </summary>
    public IReadOnlyDictionary<string, IPEndPoint> Hosts { get; init; } = new Dictionary<string, IPEndPoint>();

    /// <summary>
    /// Keep the URL's port when mapping (true for the lab's worlds, where servers listen on 80/443):
    /// the rule maps the name to the address only.
    /// </summary>
    public bool KeepUrlPort { get; init; } = true;

    /// <summary>base64(SHA-256(SubjectPublicKeyInfo)) of certificates to accept although no system CA
    /// signed them (the lab CA's root and leaf key: <c>LabCertificateAuthority.RootSpkiHash/LeafSpkiHash</c>).</summary>
    public IReadOnlyList<string> TrustedSpkiHashes { get; init; } = [];

    /// <summary>HTTP/1.1 only: <c>--disable-http2</c> (ALPN then offers http/1.1 alone).</summary>
    public bool DisableHttp2 { get; init; }

    /// <summary>
    /// Run Chromium inside this network namespace (through a small <c>ip netns exec</c> wrapper script);
    /// null: in this process's namespace.
    /// </summary>
    public string? NetworkNamespace { get; init; }

    public bool Headless { get; init; } = true;

    /// <summary>More flags, appended last.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>How long Chromium may take to start and connect to Playwright.</summary>
    public TimeSpan LaunchTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
