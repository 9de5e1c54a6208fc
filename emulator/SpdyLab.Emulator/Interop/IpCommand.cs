using System.Diagnostics;

namespace SpdyLab.Emulator.Interop;

/// <summary>
/// Runs iproute2's `ip` for the set-up steps (namespaces, addresses, routes, links): few calls per world,
/// batched, so a process per step is cheap enough and the commands read like the documentation.
/// </summary>
internal static class IpCommand
{
    public static string Executable { get; } =
        new[] { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" }.FirstOrDefault(File.Exists) ?? "ip";

    /// <summary>Runs `ip ARGS`; throws with the command and its stderr when it fails. Returns stdout.</summary>
    public static string Run(params string[] args) => Execute(args, null);

    /// <summary>Runs several `ip` commands in one process (`ip [-n NS] -batch -`).</summary>
    public static void Batch(string? netns, IEnumerable<string> lines)
    {
        var args = new List<string>();
        if (netns is not null) args.AddRange(["-n", netns]);
        args.AddRange(["-batch", "-"]);
        Execute(args, string.Join('\n', lines) + "\n");
    }

    private static string Execute(IReadOnlyList<string> args, string? input)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run '{Executable}' ({e.Message}): install iproute2 (apt-get install iproute2)", e);
        }
        using (process)
        {
            if (input is not null)
            {
                process.StandardInput.Write(input);
                process.StandardInput.Close();
            }
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(30_000))
            {
                process.Kill();
                throw new TimeoutException($"'ip {string.Join(' ', args)}' did not finish in 30 s");
            }
            if (process.ExitCode != 0)
            {
                string what = input is null ? "" : $" with input:\n{input.TrimEnd()}";
                throw new InvalidOperationException($"'ip {string.Join(' ', args)}'{what}\nfailed (exit {process.ExitCode}): {stderr.Result.Trim()}");
            }
            return stdout.Result;
        }
    }
}
