using System.CommandLine;
using System.Text.Json;
using SpdyLab.Lab.Commands;

namespace SpdyLab.Interop.Tests.Support;

/// <summary>Runs `spdylab get ARGS` in-process and captures its output.</summary>
public static class GetRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>The --json lines, one per URL.</summary>
        public IReadOnlyList<JsonElement> JsonLines =>
            Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();

        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Truncate(Stdout)}\nstderr:\n{Truncate(Stderr)}";

        private static string Truncate(string text) => text.Length > 4000 ? text[..4000] + "..." : text;
    }

    public static async Task<Result> RunAsync(params string[] args)
    {
        var root = new RootCommand("test");
        root.Subcommands.Add(GetCommand.Create());
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await root.Parse(["get", .. args]).InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
        return new Result(exit, stdout.ToString(), stderr.ToString());
    }
}
