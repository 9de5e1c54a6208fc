namespace SpdyLab.Lab.Tests;

/// <summary>The repository's root folder (the one holding SpdyLab.sln), found from the test's folder.</summary>
internal static class RepositoryRoot
{
    public static string Path
    {
        get
        {
            for (var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(directory.FullName, "SpdyLab.sln"))) return directory.FullName;
            }
            throw new InvalidOperationException("SpdyLab.sln not found above " + TestContext.CurrentContext.TestDirectory);
        }
    }
}
