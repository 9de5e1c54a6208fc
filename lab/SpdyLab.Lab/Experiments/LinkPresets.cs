namespace SpdyLab.Lab.Experiments;

/// <summary>
/// Named links an experiment file (or `spdylab run --link`) may use without defining them. The
/// whitepaper's two links carry no RTT (the paper does not give one; the experiment's <c>rtt</c> applies);
/// the WebPageTest-style presets carry the RTT of the preset they copy (sources: /work/shared/corpus/PROFILE.md).
/// </summary>
public static class LinkPresets
{
    private static LinkProfile Preset(string name, long down, long up, double? rttMs) =>
        new() { Name = name, DownBps = down, UpBps = up, RttMs = rttMs };

    public static readonly IReadOnlyList<LinkProfile> All =
    [
        // Whitepaper: "DSL 2 Mbit/s down, 375 kbit/s up" and "cable 4 Mbit/s down, 1 Mbit/s up".
        Preset("dsl", 2_000_000, 375_000, null),
        Preset("cable", 4_000_000, 1_000_000, null),
        // WebPageTest's connectivity presets.
        Preset("wpt-dsl", 1_500_000, 384_000, 50),
        Preset("wpt-cable", 5_000_000, 1_000_000, 28),
        Preset("3g", 1_600_000, 768_000, 300),
        Preset("3gfast", 1_600_000, 768_000, 150),
        Preset("4g", 9_000_000, 9_000_000, 170),
        Preset("lte", 12_000_000, 12_000_000, 70),
        Preset("fios", 20_000_000, 5_000_000, 4),
    ];

    public static string Names => string.Join(", ", All.Select(p => p.Name));

    public static LinkProfile? Find(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}
