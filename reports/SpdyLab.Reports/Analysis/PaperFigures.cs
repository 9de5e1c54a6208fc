using SpdyLab.Results;

namespace SpdyLab.Reports.Analysis;

/// <summary>
/// The whitepaper's published figures ("SPDY: An experimental protocol for a faster web", lab results;
/// DESIGN.md §6), to set beside the lab's. Table 1 rows are over TCP; the paper's HTTP row is its baseline.
/// </summary>
public static class PaperFigures
{
    /// <summary>A published page load time (ms) and, for SPDY rows, the published speedup over HTTP (fraction).</summary>
    public sealed record Table1Figure(string Link, string DomainMode, string Feature, bool IsHttp, double PltMs, double? Speedup)
    {
        public string Row => IsHttp ? "HTTP" : Feature switch
        {
            Features.Push => "SPDY single-domain + server push",
            Features.Hint => "SPDY single-domain + server hint",
            _ => "SPDY basic single-domain",
        };

        public bool Matches(Configuration c) =>
            c.Transport == Transports.Tcp && c.IsHttp == IsHttp && c.Feature == Feature && (IsHttp || c.DomainMode == DomainMode);
    }

    public static readonly IReadOnlyList<Table1Figure> Table1 =
    [
        new("dsl", DomainModes.Multi, Features.None, true, 3111.916, null),
        new("dsl", DomainModes.Single, Features.None, false, 1695.72, 0.4551),
        new("dsl", DomainModes.Single, Features.Push, false, 1671.28, 0.4629),
        new("dsl", DomainModes.Single, Features.Hint, false, 1608.928, 0.4830),
        new("cable", DomainModes.Single, Features.None, false, 933.836, 0.6023),
        new("cable", DomainModes.Single, Features.Push, false, 950.764, 0.5951),
        new("cable", DomainModes.Single, Features.Hint, false, 856.356, 0.6353),
    ];

    public static readonly (double Low, double High) SpeedupRangeTcp = (0.27, 0.60);
    public static readonly (double Low, double High) SpeedupRangeTls = (0.39, 0.55);
    public const double RequestHeaderSaving = 0.88;
    public const double ResponseHeaderSaving = 0.85;
    public const double PacketReduction = 0.40;
    public const double SpeedupAt200MsRtt = 0.27;
    public const string LossTrend = "gains grow with loss up to 2%, vanish above 2.5%";
}
