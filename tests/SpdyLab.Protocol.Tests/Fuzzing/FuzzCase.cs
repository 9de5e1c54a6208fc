namespace SpdyLab.Protocol.Tests.Fuzzing;

/// <summary>How a case's input is made.</summary>
public enum FuzzMode
{
    /// <summary>Random frames of every type, with plausible or absurd fields; framing stays intact.</summary>
    RandomFrames,

    /// <summary>A valid conversation, then byte-level mutations (flip, insert, delete, truncate): framing may break.</summary>
    MutatedConversation,

    /// <summary>A valid prefix, then exactly one violation whose answer is known (RST or GOAWAY with a status, or none).</summary>
    SingleViolation,
}

/// <summary>
/// One fuzz case: everything about it follows from (version, role, seed), so a failure is replayed with
/// <c>scripts/fuzz.sh --replay 3.1:server:SEED</c>.
/// </summary>
public sealed record FuzzCase(SpdyVersion Version, SpdyRole Role, int Seed)
{
    public FuzzMode Mode => (FuzzMode)(int)((uint)Seed % 3);

    /// <summary>"3.1:server:12345", the argument of <c>--replay</c>.</summary>
    public string ReplayKey => $"{VersionName(Version)}:{Role.ToString().ToLowerInvariant()}:{Seed}";

    public override string ToString() => $"{ReplayKey} ({Mode})";

    public static string VersionName(SpdyVersion version) => version switch
    {
        SpdyVersion.Spdy2 => "2",
        SpdyVersion.Spdy3 => "3",
        _ => "3.1",
    };

    public static SpdyVersion ParseVersion(string text) => text.Trim().ToLowerInvariant().Replace("spdy/", string.Empty, StringComparison.Ordinal) switch
    {
        "2" => SpdyVersion.Spdy2,
        "3" => SpdyVersion.Spdy3,
        "3.1" => SpdyVersion.Spdy31,
        _ => throw new FormatException($"'{text}' is not a SPDY version; accepted: 2, 3, 3.1"),
    };

    public static SpdyRole ParseRole(string text) => text.Trim().ToLowerInvariant() switch
    {
        "server" => SpdyRole.Server,
        "client" => SpdyRole.Client,
        _ => throw new FormatException($"'{text}' is not a role; accepted: server, client"),
    };

    /// <summary>Parses "3.1:server:12345".</summary>
    public static FuzzCase Parse(string key)
    {
        var parts = key.Split(':');
        if (parts.Length != 3 || !int.TryParse(parts[2], out var seed))
        {
            throw new FormatException($"'{key}' is not a fuzz case; expected VERSION:ROLE:SEED, e.g. 3.1:server:12345");
        }

        return new FuzzCase(ParseVersion(parts[0]), ParseRole(parts[1]), seed);
    }
}
