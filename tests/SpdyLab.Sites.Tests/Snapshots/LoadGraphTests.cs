using SpdyLab.Sites.Snapshots;

namespace SpdyLab.Sites.Tests.Snapshots;

public class LoadGraphTests
{
    private string _path = "";

    [SetUp]
    public void CreatePath() => _path = Path.Combine(TestSnapshots.TempFolder(), LoadGraph.FileName);

    [TearDown]
    public void DeletePath() => Directory.Delete(Path.GetDirectoryName(_path)!, recursive: true);

    [Test]
    public void Read_WrittenGraph_RoundTrips()
    {
        new LoadGraph { Site = "s", NavigationMs = 3.5, OnloadMs = 20, Resources = [new GraphResource { Exchange = 2, DelayMs = 7.5, BlocksOnload = false, Requested = false }] }.Write(_path);
        var graph = LoadGraph.Read(_path);
        Assert.That(graph.NavigationMs, Is.EqualTo(3.5));
        Assert.That(graph.Resources.Single().DelayMs, Is.EqualTo(7.5));
        Assert.That(graph.Resources.Single().Requested, Is.False);
        Assert.That(graph.Resources.Single().BlocksOnload, Is.False);
    }

    [TestCase("{\"format\":\"other\",\"version\":1}", "format is 'other'")]
    [TestCase("{\"format\":\"spdylab-load-graph\",\"version\":2}", "version 2 is not supported")]
    [TestCase("{\"format\":\"spdylab-load-graph\",\"version\":1,\"resources\":[{\"exchange\":4,\"delayMs\":-1}]}", "exchange 4: delayMs")]
    [TestCase("{\"format\":\"spdylab-load-graph\",\"version\":1,\"navigationMs\":-3}", "navigationMs")]
    [TestCase("{\"format\": ", "not a valid load graph at line 1")]
    public void Read_BadGraph_ThrowsNamingTheFileAndTheProblem(string json, string expected)
    {
        File.WriteAllText(_path, json);
        var e = Assert.Throws<SnapshotFormatException>(() => LoadGraph.Read(_path));
        Assert.That(e!.Message, Does.StartWith(_path).And.Contain(expected));
    }
}
