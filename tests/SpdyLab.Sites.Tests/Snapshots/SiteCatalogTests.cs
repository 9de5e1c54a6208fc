using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Tests.Snapshots;

public class SiteCatalogTests
{
    string _folder = "";

    [SetUp]
    public void SetUp() => _folder = TestSnapshots.TempFolder();

    [TearDown]
    public void TearDown() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void Find_ImportedNameShadowsShippedOne_AndBothAreListed()
    {
        var corpus = Path.Combine(_folder, "corpus");
        var user = Path.Combine(_folder, "user");
        TestSnapshots.SmallPage().WriteTo(Path.Combine(corpus, "small"));
        TestSnapshots.SmallPage().WriteTo(Path.Combine(corpus, "other"));
        TestSnapshots.SmallPage().WriteTo(Path.Combine(user, "small"));
        var catalog = new SiteCatalog(corpus, user);
        Assert.That(catalog.Find("small"), Is.EqualTo(Path.Combine(user, "small")));
        Assert.That(catalog.List().Select(e => (e.Name, e.Shipped)), Is.EqualTo(new[] { ("small", false), ("other", true) }));
        Assert.That(catalog.Find("missing"), Is.Null);
    }

    [TestCase("../corpus/small")]
    [TestCase("..")]
    [TestCase("a/b")]
    [TestCase("")]
    public void UserPath_NameThatIsAPath_IsRefused(string name)
    {
        var catalog = new SiteCatalog(Path.Combine(_folder, "corpus"), Path.Combine(_folder, "user"));
        Assert.That(SiteCatalog.IsValidName(name), Is.False);
        Assert.Throws<ArgumentException>(() => catalog.UserPath(name));
    }

    [Test]
    public void Find_SnapshotFolderPath_Works()
    {
        var dir = Path.Combine(_folder, "anywhere", "snap");
        TestSnapshots.SmallPage().WriteTo(dir);
        Assert.That(new SiteCatalog(_folder, _folder).Find(dir), Is.EqualTo(dir));
    }
}
