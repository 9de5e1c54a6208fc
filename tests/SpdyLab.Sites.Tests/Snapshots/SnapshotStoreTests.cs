using System.Text;
using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Tests.Snapshots;

public class SnapshotStoreTests
{
    string _folder = "";

    [SetUp]
    public void SetUp() => _folder = TestSnapshots.TempFolder();

    [TearDown]
    public void TearDown() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void WriteTo_ThenLoad_RoundTripsExchangesAndBodies()
    {
        var built = TestSnapshots.SmallPage().WriteTo(Path.Combine(_folder, "small"));
        var loaded = Snapshot.Load(Path.Combine(_folder, "small"));
        Assert.That(loaded.Exchanges, Has.Count.EqualTo(5));
        Assert.That(loaded.Exchanges[1].Url, Is.EqualTo("http://www.example.com/s.css"));
        Assert.That(Encoding.UTF8.GetString(loaded.BodyOf(loaded.Exchanges[1]).Span), Is.EqualTo("body{background:url(/bg.gif)}"));
        Assert.That(loaded.Exchanges[4].Initiator, Is.EqualTo(1));
        Assert.That(built.Exchanges.Select(e => e.Body), Is.EqualTo(loaded.Exchanges.Select(e => e.Body)));
        var hex = loaded.Exchanges[0].Body!["sha256-".Length..];
        Assert.That(File.Exists(Path.Combine(_folder, "small", "bodies", hex)), Is.True);
    }

    [Test]
    public void Load_CorruptedBody_NamesTheFile()
    {
        var snapshot = TestSnapshots.SmallPage().WriteTo(Path.Combine(_folder, "small"));
        var path = Snapshot.BodyPath(snapshot.Directory!, snapshot.Exchanges[2].Body!)!;
        File.WriteAllText(path, "var a=2;");
        var e = Assert.Throws<SnapshotFormatException>(() => Snapshot.Load(snapshot.Directory!));
        Assert.That(e!.Message, Does.Contain(path).And.Contain("corrupted"));
    }

    [Test]
    public void Load_MissingBody_NamesTheEntry()
    {
        var snapshot = TestSnapshots.SmallPage().WriteTo(Path.Combine(_folder, "small"));
        File.Delete(Snapshot.BodyPath(snapshot.Directory!, snapshot.Exchanges[3].Body!)!);
        var e = Assert.Throws<SnapshotFormatException>(() => Snapshot.Load(snapshot.Directory!));
        Assert.That(e!.Message, Does.Contain("manifest.json").And.Contain("exchanges[3]").And.Contain("http://img.example.net/x.png").And.Contain("missing"));
    }

    [Test]
    public void Load_UnsupportedVersion_SaysWhichVersion()
    {
        var snapshot = TestSnapshots.SmallPage().WriteTo(Path.Combine(_folder, "small"));
        var manifest = Path.Combine(snapshot.Directory!, "manifest.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"version\": 1", "\"version\": 7"));
        var e = Assert.Throws<SnapshotFormatException>(() => Snapshot.Load(snapshot.Directory!));
        Assert.That(e!.Message, Does.Contain("schema version 7"));
    }

    [Test]
    public void Load_MalformedJson_GivesLine()
    {
        var snapshot = TestSnapshots.SmallPage().WriteTo(Path.Combine(_folder, "small"));
        var manifest = Path.Combine(snapshot.Directory!, "manifest.json");
        File.WriteAllText(manifest, "{\n  \"format\": \"spdylab-snapshot\",\n  \"exchanges\": [ oops ]\n}");
        var e = Assert.Throws<SnapshotFormatException>(() => Snapshot.Load(snapshot.Directory!));
        Assert.That(e!.Message, Does.Contain("manifest.json").And.Contain("line 3"));
    }

    [TestCase("sha256-../../../../etc/passwd")]
    [TestCase("sha256-0123")]
    [TestCase("/etc/passwd")]
    public void Load_BodyReferenceThatIsNotAHash_IsRejected(string reference)
    {
        var snapshot = TestSnapshots.SmallPage().WriteTo(Path.Combine(_folder, "small"));
        var manifest = Path.Combine(snapshot.Directory!, "manifest.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace(snapshot.Exchanges[2].Body!, reference));
        var e = Assert.Throws<SnapshotFormatException>(() => Snapshot.Load(snapshot.Directory!));
        Assert.That(e!.Message, Does.Contain("exchanges[2]").And.Contain("not 'sha256-'"));
    }

    [Test]
    public void BodyPath_TraversalAttempt_IsNull()
    {
        Assert.That(Snapshot.BodyPath(_folder, "sha256-../" + new string('a', 61)), Is.Null);
        Assert.That(Snapshot.BodyPath(_folder, "sha256-" + new string('a', 64)), Does.StartWith(Path.Combine(_folder, "bodies")));
    }

    [Test]
    public void WriteTo_InvalidSnapshot_LeavesNothingBehind()
    {
        var builder = TestSnapshots.SmallPage();
        builder.Manifest.Exchanges[2].Initiator = 99;
        Assert.Throws<SnapshotFormatException>(() => builder.WriteTo(Path.Combine(_folder, "bad")));
        Assert.That(Directory.GetFileSystemEntries(_folder), Is.Empty);
    }

    [Test]
    public void WriteTo_ExistingFolder_RefusesUnlessReplace()
    {
        var target = Path.Combine(_folder, "small");
        TestSnapshots.SmallPage().WriteTo(target);
        Assert.Throws<IOException>(() => TestSnapshots.SmallPage().WriteTo(target));
        var replaced = TestSnapshots.SmallPage();
        replaced.Manifest.Description = "second";
        replaced.WriteTo(target, replace: true);
        Assert.That(Snapshot.Load(target).Manifest.Description, Is.EqualTo("second"));
        Assert.That(Directory.GetFileSystemEntries(_folder), Has.Length.EqualTo(1));
    }
}
