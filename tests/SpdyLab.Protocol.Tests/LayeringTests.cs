namespace SpdyLab.Protocol.Tests;

public class LayeringTests
{
    [Test]
    public void ProtocolAssembly_References_OnlyTheBaseClassLibrary()
    {
        var references = typeof(SpdySession).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.That(references.Where(n => !n.StartsWith("System", StringComparison.Ordinal) && n != "netstandard" && n != "mscorlib"), Is.Empty,
            "DESIGN.md §2: SpdyLab.Protocol may reference the BCL only");
    }
}
