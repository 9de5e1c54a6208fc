using System.CommandLine;

namespace SpdyLab.Lab.Commands;

/// <summary>Every top-level command of the CLI, one line each, so adding a command touches one place.</summary>
public static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return ServeCommand.Create();
        yield return SitesCommand.Create();
        yield return ResultsCommand.Create();
        yield return GetCommand.Create();
        yield return ShellCommand.Create();
        yield return ReproduceCommand.Create();
        yield return SweepCommand.Create();
        yield return ValidateCommand.Create();
        yield return RunCommand.Create();
        yield return LoadCommand.Create();
        yield return BenchCommand.Create();
        yield return ReportCommand.Create();
        yield return SoakCommand.Create();
    }
}
