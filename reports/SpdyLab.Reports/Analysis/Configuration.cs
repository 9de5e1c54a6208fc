using SpdyLab.Results;

namespace SpdyLab.Reports.Analysis;

/// <summary>
/// What a table row compares: protocol, transport, domain mode, feature and client. Named as the paper
/// names its rows ("SPDY basic single-domain", "+ server push"), with the protocol version spelled out.
/// </summary>
public sealed record Configuration(string Protocol, string Transport, string DomainMode, string Feature, string Client)
    : IComparable<Configuration>
{
    public static Configuration Of(TrialRecord t) => new(t.Protocol, t.Transport, t.DomainMode, t.Feature, t.Client);

    public bool IsHttp => Protocol == Protocols.Http11;

    /// <summary>The HTTP/1.1 configuration this one is compared with: same transport and client, plain HTTP.</summary>
    public Configuration Baseline => new(Protocols.Http11, Transport, DomainModes.Multi, Features.None, Client);

    public static string ProtocolName(string protocol) => protocol switch
    {
        Protocols.Http11 => "HTTP",
        Protocols.H2 => "HTTP/2",
        _ => protocol.ToUpperInvariant(),
    };

    /// <summary>The paper's row name, without the transport: "SPDY/3.1 single-domain + server push".</summary>
    public string Label
    {
        get
        {
            var name = ProtocolName(Protocol);
            var domain = DomainMode == DomainModes.Single ? "single-domain" : "multi-domain";
            var label = (IsHttp, Feature) switch
            {
                (true, Features.None) => DomainMode == DomainModes.Single ? $"{name} single-domain" : name,
                (true, _) => $"{name} + {FeatureName(Feature)}",
                (false, Features.None) => $"{name} basic {domain}",
                _ => $"{name} {domain} + {FeatureName(Feature)}",
            };
            return Client == Clients.Builtin ? label : $"{label} [{Client}]";
        }
    }

    /// <summary>The label with the transport when it is TLS (the paper's "SSL").</summary>
    public string FullLabel => Transport == Transports.Tls ? $"{Label} (TLS)" : Label;

    public static string TransportName(string transport) => transport == Transports.Tls ? "TLS (SSL)" : "TCP";

    private static string FeatureName(string feature) => feature switch
    {
        Features.Push => "server push",
        Features.Hint => "server hint",
        Features.Prefetch => "client prefetch",
        _ => feature,
    };

    /// <summary>The paper's row order: TCP before TLS; HTTP first; then basic multi, basic single, push, hint, prefetch.</summary>
    public int CompareTo(Configuration? other)
    {
        if (other is null)
        {
            return 1;
        }
        return Key(this).CompareTo(Key(other));

        static (int, string, int, int, int, int) Key(Configuration c) => (
            Index(Clients.All, c.Client),
            c.Transport,
            c.IsHttp ? 0 : 1,
            c.Feature == Features.None ? (c.DomainMode == DomainModes.Multi ? 0 : 1) : 2 + Index(Features.All, c.Feature),
            Index(Protocols.All, c.Protocol),
            c.DomainMode == DomainModes.Multi ? 0 : 1);
    }

    private static int Index(IReadOnlyList<string> list, string value)
    {
        var i = list.IndexOf(value);
        return i < 0 ? list.Count : i;
    }
}

internal static class ListExtensions
{
    public static int IndexOf(this IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
            {
                return i;
            }
        }
        return -1;
    }
}

/// <summary>
/// What makes two loads a pair: same site, run index, link (and its rates, RTT, loss) and seed, so HTTP and
/// SPDY met the same page, the same conditions and the same loss pattern.
/// </summary>
public readonly record struct PairKey(string Site, int RunIndex, string Link, long Seed, long DownBps, long UpBps, double RttMs, double Loss)
{
    public static PairKey Of(TrialRecord t) => new(t.Site, t.RunIndex, t.Link, t.Seed, t.DownBps, t.UpBps, t.RttMs, t.Loss);
}
