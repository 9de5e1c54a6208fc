using System.Text.RegularExpressions;
using SpdyLab.Emulator.Interop;

namespace SpdyLab.Emulator.Worlds;

/// <summary>
/// Allocation of world numbers across every process on the machine. World N uses the addresses
/// 10.200.N.0/24 and interfaces named slN*; it is held by an exclusive lock on
/// /run/spdylab/world-N.lock that the kernel releases when the holder dies, so a crash never leaks a slot.
/// </summary>
internal static partial class WorldSlots
{
    public const int Count = 256;
    public const string LockDirectory = "/run/spdylab";
    public const string NamespacePrefix = "spdylab-";

    [GeneratedRegex(@"^spdylab-(?<pid>[0-9]+)-(?<slot>[0-9]+)-(?<role>cli|srv)$")]
    public static partial Regex NamespaceName();

    public static (int Slot, FileStream Lock) Acquire()
    {
        System.IO.Directory.CreateDirectory(LockDirectory);
        for (int slot = 0; slot < Count; slot++)
        {
            try
            {
                // .NET takes an exclusive flock(2) for FileShare.None on Unix.
                var stream = new FileStream(Path.Combine(LockDirectory, $"world-{slot}.lock"), FileMode.OpenOrCreate,
                    FileAccess.ReadWrite, FileShare.None);
                return (slot, stream);
            }
            catch (IOException)
            {
                // Held by a live world: try the next one.
            }
        }
        throw new InvalidOperationException($"all {Count} world slots are in use (see {LockDirectory})");
    }

    /// <summary>
    /// Deletes the namespaces of worlds whose process died without tearing them down (kill -9, crash),
    /// after killing whatever still runs inside them. Returns the names reaped.
    /// </summary>
    public static List<string> ReapStale()
    {
        var reaped = new List<string>();
        if (!System.IO.Directory.Exists(NetworkNamespace.Directory)) return reaped;
        foreach (var path in System.IO.Directory.GetFiles(NetworkNamespace.Directory))
        {
            string name = Path.GetFileName(path);
            var match = NamespaceName().Match(name);
            if (!match.Success || ProcessIsAlive(int.Parse(match.Groups["pid"].Value))) continue;
            try
            {
                KillProcessesIn(name);
                IpCommand.Run("netns", "del", name);
                reaped.Add(name);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException)
            {
                // Another process reaped it at the same moment, or it is busy; the next start retries.
            }
        }
        return reaped;
    }

    public static bool ProcessIsAlive(int pid) => System.IO.Directory.Exists($"/proc/{pid}");

    /// <summary>SIGKILLs every process whose network namespace is <paramref name="name"/>.</summary>
    public static void KillProcessesIn(string name)
    {
        string output;
        try { output = IpCommand.Run("netns", "pids", name); }
        catch (InvalidOperationException) { return; }
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(line, out int pid) && pid != Environment.ProcessId) Libc.Kill(pid, 9);
        }
    }
}
