using System.Globalization;
using System.Text.RegularExpressions;

namespace SpdyLab.Emulator.Link;

/// <summary>An option value that does not parse. The message names the option, the value and what is accepted.</summary>
public sealed class LinkOptionException(string option, string message) : FormatException($"{option}: {message}")
{
    public string Option { get; } = option;
}

/// <summary>
/// Parsers for link option values, shared by `spdylab shell` and the lab runner. Each takes the option's
/// name so its error says where the problem is.
/// </summary>
public static partial class LinkValues
{
    public const string AcceptedRates = "a number with a unit: bit, kbit, mbit, gbit (decimal: 1kbit = 1000 bit/s), e.g. 2mbit, 375kbit, 1.5mbit, 1gbit";
    public const string AcceptedDurations = "a number with a unit: us, ms, s, e.g. 100ms, 0.5ms, 2s";
    public const string AcceptedPercents = "a percentage from 0% to 100%, e.g. 1%, 0.5%";
    public const string AcceptedQueues = "N followed by pkt, b, kb (1000 B), kib (1024 B), mb or mib, or both joined by a comma (e.g. 100pkt, 64kb, 100pkt,64kb), or 'unlimited'";
    public const string AcceptedLossModels = "bernoulli; ge:burst=N (Gilbert-Elliott with the --loss mean and bursts of N packets on average); or ge:p=P%,r=R%[,bad=B%][,good=G%] (bad/good: loss probability in each state, defaults 100% and 0%)";

    [GeneratedRegex(@"^\s*(?<n>[0-9]+(\.[0-9]+)?)\s*(?<u>[a-zA-Z/%]*)\s*$")]
    private static partial Regex NumberWithUnit();

    public static long ParseRate(string option, string text)
    {
        var (number, unit) = Split(option, text, "a rate", AcceptedRates);
        double factor = unit.ToLowerInvariant() switch
        {
            "bit" => 1,
            "kbit" => 1e3,
            "mbit" => 1e6,
            "gbit" => 1e9,
            "bps" or "kbps" or "mbps" or "gbps" => throw new LinkOptionException(option,
                $"'{text}' is ambiguous ('bps' means bytes per second to tc and bits to others); write the rate in bits: {AcceptedRates}"),
            _ => throw new LinkOptionException(option, $"'{text}' is not a rate; accepted: {AcceptedRates}"),
        };
        double bits = number * factor;
        if (bits < 1 || bits > 1e12) throw new LinkOptionException(option, $"'{text}' is out of range; a rate is between 1bit and 1000gbit");
        return (long)Math.Round(bits);
    }

    /// <summary>A duration in microseconds.</summary>
    public static long ParseDuration(string option, string text)
    {
        var (number, unit) = Split(option, text, "a duration", AcceptedDurations);
        double factor = unit.ToLowerInvariant() switch
        {
            "us" => 1,
            "ms" => 1e3,
            "s" => 1e6,
            _ => throw new LinkOptionException(option, $"'{text}' is not a duration; accepted: {AcceptedDurations}"),
        };
        double micros = number * factor;
        if (micros > 3600e6) throw new LinkOptionException(option, $"'{text}' is too long; at most 3600s");
        return (long)Math.Round(micros);
    }

    /// <summary>A percentage as a fraction (1% -> 0.01).</summary>
    public static double ParsePercent(string option, string text)
    {
        var (number, unit) = Split(option, text, "a percentage", AcceptedPercents);
        if (unit != "%") throw new LinkOptionException(option, $"'{text}' is not a percentage; accepted: {AcceptedPercents}");
        if (number > 100) throw new LinkOptionException(option, $"'{text}' is more than 100%");
        return number / 100;
    }

    public static QueueLimit ParseQueue(string option, string text)
    {
        if (text.Trim().Equals("unlimited", StringComparison.OrdinalIgnoreCase)) return QueueLimit.Unlimited;
        int? packets = null;
        long? bytes = null;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var (number, unit) = Split(option, part, "a queue size", AcceptedQueues);
            if (number != Math.Floor(number) && unit.ToLowerInvariant() is "pkt" or "b")
                throw new LinkOptionException(option, $"'{part}' is not a whole number");
            switch (unit.ToLowerInvariant())
            {
                case "pkt" when packets is null: packets = (int)Math.Min(number, int.MaxValue); break;
                case "b" when bytes is null: bytes = (long)number; break;
                case "kb" when bytes is null: bytes = (long)(number * 1000); break;
                case "kib" when bytes is null: bytes = (long)(number * 1024); break;
                case "mb" when bytes is null: bytes = (long)(number * 1_000_000); break;
                case "mib" when bytes is null: bytes = (long)(number * 1024 * 1024); break;
                case "pkt" or "b" or "kb" or "kib" or "mb" or "mib":
                    throw new LinkOptionException(option, $"'{text}' gives the same unit twice; accepted: {AcceptedQueues}");
                default:
                    throw new LinkOptionException(option, $"'{part}' is not a queue size; accepted: {AcceptedQueues}");
            }
        }
        if (packets is < 1 || bytes is < 1500)
            throw new LinkOptionException(option, $"'{text}' is too small; a queue holds at least 1 packet and 1500 bytes");
        return new QueueLimit(packets, bytes);
    }

    /// <summary>
    /// A loss model. <paramref name="meanLoss"/> is the --loss value of the direction (used by bernoulli
    /// and ge:burst=N); a full ge:p=..,r=.. model carries its own mean, so giving a --loss as well is an error.
    /// </summary>
    public static LossSpec ParseLossModel(string option, string text, double? meanLoss, string lossOption = "--loss")
    {
        var trimmed = text.Trim();
        if (trimmed.Equals("bernoulli", StringComparison.OrdinalIgnoreCase))
            return meanLoss is { } m ? new BernoulliLossSpec(m) : LossSpec.None;
        if (!trimmed.StartsWith("ge:", StringComparison.OrdinalIgnoreCase))
            throw new LinkOptionException(option, $"'{text}' is not a loss model; accepted: {AcceptedLossModels}");
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in trimmed[3..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0) throw new LinkOptionException(option, $"'{pair}' in '{text}' is not key=value; accepted: {AcceptedLossModels}");
            fields[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
        }
        var unknown = fields.Keys.Where(k => k.ToLowerInvariant() is not ("p" or "r" or "bad" or "good" or "burst")).ToList();
        if (unknown.Count > 0) throw new LinkOptionException(option, $"unknown key '{unknown[0]}' in '{text}'; accepted: {AcceptedLossModels}");
        if (fields.TryGetValue("burst", out var burstText))
        {
            if (fields.Count > 1) throw new LinkOptionException(option, $"'{text}': ge:burst=N takes no other keys (the mean comes from {lossOption})");
            if (!double.TryParse(burstText, NumberStyles.Float, CultureInfo.InvariantCulture, out var burst) || burst < 1)
                throw new LinkOptionException(option, $"'{burstText}' is not a burst length; ge:burst=N wants a number of packets of at least 1");
            if (meanLoss is not { } mean || mean == 0) return LossSpec.None;
            if (mean >= 1) throw new LinkOptionException(lossOption, "a bursty loss model needs a mean loss below 100%");
            // Bad loses everything, Good nothing: mean = p/(p+r) with r = 1/burst -> p = r*mean/(1-mean).
            double r = 1 / burst;
            return new GilbertElliottLossSpec(r * mean / (1 - mean), r, 1, 0);
        }
        if (meanLoss is not null)
            throw new LinkOptionException(option, $"'{text}' fixes the loss rate itself; drop {lossOption} or use ge:burst=N");
        if (!fields.ContainsKey("p") || !fields.ContainsKey("r"))
            throw new LinkOptionException(option, $"'{text}' needs both p and r; accepted: {AcceptedLossModels}");
        double Get(string key, double fallback) =>
            fields.TryGetValue(key, out var v) ? ParsePercent($"{option} ({key})", v) : fallback;
        return new GilbertElliottLossSpec(Get("p", 0), Get("r", 0), Get("bad", 1), Get("good", 0));
    }

    public static string FormatRate(long bitsPerSecond) => bitsPerSecond switch
    {
        >= 1_000_000_000 when bitsPerSecond % 1_000_000 == 0 => $"{bitsPerSecond / 1e9:0.###}gbit",
        >= 1_000_000 => $"{bitsPerSecond / 1e6:0.###}mbit",
        >= 1_000 => $"{bitsPerSecond / 1e3:0.###}kbit",
        _ => $"{bitsPerSecond}bit",
    };

    private static (double Number, string Unit) Split(string option, string? text, string what, string accepted)
    {
        var match = NumberWithUnit().Match(text ?? "");
        if (!match.Success) throw new LinkOptionException(option, $"'{text}' is not {what}; accepted: {accepted}");
        double number = double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        string unit = match.Groups["u"].Value;
        if (unit.Length == 0) throw new LinkOptionException(option, $"'{text}' has no unit; accepted: {accepted}");
        return (number, unit);
    }
}
