namespace SpdyLab.Lab.Runner;

/// <summary>Chooses the executor the CLI uses for real runs.</summary>
public static class TrialExecutors
{
    public static ITrialExecutor CreateDefault() => new WorldTrialExecutor();
}
