using System.Reflection;

namespace SpdyLab.Lab.Tests.Architecture;

/// <summary>
/// DESIGN.md §2: which project may reference which. Checked on the built assemblies, so a stray
/// ProjectReference or a transitive leak (say, the emulator learning about HTTP) fails here.
/// </summary>
public class LayeringTests
{
    private static readonly string[] LabAssemblies =
    [
        "SpdyLab.Protocol", "SpdyLab.Server", "SpdyLab.Emulator", "SpdyLab.Sites",
        "SpdyLab.Client", "SpdyLab.Results", "SpdyLab.Reports", "spdylab",
    ];

    // What each assembly may reference among the lab's own assemblies, and whether ASP.NET Core is allowed.
    private static readonly Dictionary<string, (string[] Lab, bool AspNetCore)> Allowed = new()
    {
        ["SpdyLab.Protocol"] = ([], false),
        ["SpdyLab.Emulator"] = ([], false),
        ["SpdyLab.Server"] = (["SpdyLab.Protocol"], true),
        ["SpdyLab.Sites"] = ([], true),
        ["SpdyLab.Client"] = (["SpdyLab.Protocol"], false),
        ["SpdyLab.Results"] = ([], false),
        ["SpdyLab.Reports"] = (["SpdyLab.Results"], false),
    };

    [TestCaseSource(nameof(LayeredAssemblies))]
    public void References_OfEachProject_FollowTheDesignMap(string name)
    {
        var assembly = Assembly.Load(name);
        var references = assembly.GetReferencedAssemblies().Select(r => r.Name!).ToList();
        var (allowedLab, aspNetCore) = Allowed[name];

        var forbiddenLab = references.Where(r => LabAssemblies.Contains(r) && !allowedLab.Contains(r)).ToList();
        Assert.That(forbiddenLab, Is.Empty, $"{name} references lab projects it may not (DESIGN.md §2)");

        if (!aspNetCore)
        {
            var web = references.Where(r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)).ToList();
            Assert.That(web, Is.Empty, $"{name} must not depend on ASP.NET Core (DESIGN.md §2)");
        }
    }

    [Test]
    public void Emulator_References_NothingOfHttp()
    {
        var references = Assembly.Load("SpdyLab.Emulator").GetReferencedAssemblies().Select(r => r.Name!);
        Assert.That(references.Where(r => r.Contains("Http", StringComparison.OrdinalIgnoreCase)), Is.Empty);
    }

    private static IEnumerable<string> LayeredAssemblies() => Allowed.Keys;
}
