using System.CommandLine;
using SpdyLab.Lab.Commands;

namespace SpdyLab.Lab;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand(
            "SpdyLab: a network emulation lab and benchmark harness that reproduces the SPDY whitepaper.\n" +
            "Run './spdylab COMMAND --help' for the options of one command.");
        foreach (var command in CommandCatalog.All())
        {
            root.Subcommands.Add(command);
        }
        return await root.Parse(args).InvokeAsync();
    }
}
