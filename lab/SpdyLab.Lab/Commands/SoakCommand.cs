using System.CommandLine;
using System.Globalization;
using System.Reflection;
using SpdyLab.Lab.Soak;

namespace SpdyLab.Lab.Commands;

/// <summary>
/// <c>spdylab soak</c>: bounded mixed load against the <c>spdylab serve</c> server in a child process; reports the
/// server's memory, threads and file descriptors at start and end (docs/hardening.md).
/// </summary>
public static class SoakCommand
{
    public static Command Create()
    {
        var minutes = new Option<double>("--minutes") { Description = "load time after the warm-up", DefaultValueFactory = _ => 10 };
        var quick = new Option<bool>("--quick") { Description = "a short run: 60 s of load after a 15 s warm-up" };
        var workers = new Option<int>("--workers") { Description = "concurrent load loops", DefaultValueFactory = _ => 12 };
        var seed = new Option<int>("--seed") { Description = "seed of the load's choices", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out") { Description = "also write the report (Markdown) to this file" };
        var serveChild = new Option<string>("--serve-child") { Description = "internal: run the server side in this process, serving FOLDER", Hidden = true };
        var certDir = new Option<string>("--cert-dir") { Description = "internal: certificate folder of the server side", Hidden = true };
        var command = new Command("soak", "Soak test: minutes of mixed load (many SPDY/2, /3, /3.1 sessions over TLS and cleartext, h2, HTTP/1.1, concurrent streams, resets, slow readers, pushes, abrupt closes) against spdylab serve in a child process; reports its memory, thread and handle drift.");
        foreach (var option in new Option[] { minutes, quick, workers, seed, output, serveChild, certDir })
        {
            command.Options.Add(option);
        }

        CommandActions.SetAction(command, async (parseResult, cancellationToken) =>
        {
            if (parseResult.GetValue(serveChild) is { } root)
            {
                return await SoakServerChild.RunAsync(root, parseResult.GetValue(certDir) ?? Path.Combine(LabPaths.Home, "ca"), cancellationToken);
            }

            var loadMinutes = parseResult.GetValue(minutes);
            if (loadMinutes is <= 0 or > 24 * 60)
            {
                throw new UsageException($"--minutes: '{loadMinutes.ToString(CultureInfo.InvariantCulture)}' is out of range; accepted: more than 0, up to 1440");
            }

            var loops = parseResult.GetValue(workers);
            if (loops is < 1 or > 256)
            {
                throw new UsageException($"--workers: '{loops}' is out of range; accepted: 1 to 256");
            }

            var isQuick = parseResult.GetValue(quick);
            var work = Directory.CreateTempSubdirectory("spdylab-soak-");
            var (file, prefix) = SelfCommand();
            var options = new SoakOptions
            {
                Duration = isQuick ? TimeSpan.FromSeconds(60) : TimeSpan.FromMinutes(loadMinutes),
                WarmUp = isQuick ? TimeSpan.FromSeconds(15) : TimeSpan.FromSeconds(60),
                SampleInterval = isQuick ? TimeSpan.FromSeconds(20) : TimeSpan.FromSeconds(60),
                Workers = loops,
                Seed = parseResult.GetValue(seed),
                ServerFile = file,
                ServerArgumentsPrefix = prefix,
                WorkDirectory = work.FullName,
                Progress = line => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}"),
            };
            try
            {
                var report = await new SoakRunner(options).RunAsync(cancellationToken);
                var markdown = report.ToMarkdown();
                Console.WriteLine(markdown);
                if (parseResult.GetValue(output) is { } path)
                {
                    await File.WriteAllTextAsync(path, markdown, cancellationToken);
                }

                return report.WithinMargins && report.ServerExitedCleanly ? 0 : CommandActions.RuntimeError;
            }
            finally
            {
                work.Delete(recursive: true);
            }
        });
        return command;
    }

    /// <summary>How to start this CLI again: the apphost itself, or "dotnet spdylab.dll" when run through dotnet.</summary>
    internal static (string File, string[] Prefix) SelfCommand()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var assembly = Assembly.GetExecutingAssembly().Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? (process, [assembly]) : (process, []);
    }
}
