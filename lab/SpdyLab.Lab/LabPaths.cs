namespace SpdyLab.Lab;

/// <summary>
/// Where the lab keeps its state: $SPDYLAB_HOME, or ~/.spdylab. The certificate authority lives in
/// ca/, imported snapshots in sites/.
/// </summary>
public static class LabPaths
{
    public static string Home =>
        Environment.GetEnvironmentVariable("SPDYLAB_HOME") is { Length: > 0 } home
            ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".spdylab");

    /// <summary>The repository root (set by the ./spdylab launcher), or the current directory.</summary>
    public static string RepositoryRoot =>
        Environment.GetEnvironmentVariable("SPDYLAB_ROOT") is { Length: > 0 } root ? root : Directory.GetCurrentDirectory();
}
