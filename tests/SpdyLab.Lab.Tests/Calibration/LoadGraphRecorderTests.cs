using SpdyLab.Lab.Browser;
using SpdyLab.Lab.Calibration;
using SpdyLab.Lab.Tests.PageLoad;

namespace SpdyLab.Lab.Tests.Calibration;

/// <summary>The graph from Chromium's Navigation and Resource Timing, on loads made up here (real loads: LoadGraphRecorder's own run, docs/loader.md).</summary>
public class LoadGraphRecorderTests
{
    private static ChromiumResource Resource(string url, string initiatorType, double start, double end) =>
        new(url.Replace("http://", "https://"), initiatorType, "http/1.1", start, end, 100, 100);

    private static ChromiumLoadResult Load(double documentEnd, double loadEventStart, double loadEventEnd, double scriptEnd, double adStart, double imageStart) => new()
    {
        FetchStartMs = 4,
        ResponseEndMs = documentEnd,
        LoadEventStartMs = loadEventStart,
        LoadEventEndMs = loadEventEnd,
        Resources =
        [
            Resource("http://www.test.example/js/app.js", "script", documentEnd + 5, scriptEnd),
            Resource("http://ads.test.example/ad.js", "script", adStart, adStart + 20),
            Resource("http://img.test.example/i/0.jpg", "img", imageStart, imageStart + 10),
            Resource("http://www.test.example/api/late", "xmlhttprequest", documentEnd + 1, documentEnd + 900),
            Resource("http://img.test.example/i/1.jpg", "img", loadEventStart + 50, loadEventStart + 60),
        ],
        RequestedUrls = ["https://www.test.example/", "https://www.test.example/js/app.js", "https://ads.test.example/ad.js",
            "https://img.test.example/i/0.jpg", "https://img.test.example/i/1.jpg", "https://www.test.example/api/late", "https://www.test.example/frame.html"],
    };

    [Test]
    public void Build_ThreeLoads_MediansRelativeToTheTriggersEnd()
    {
        var snapshot = TestPages.Build(images: 2);
        var script = snapshot.Exchanges.Single(e => e.Url == "http://www.test.example/js/app.js");
        var ad = snapshot.Exchanges.Single(e => e.Url == "http://ads.test.example/ad.js");
        Assert.That(ad.Initiator, Is.EqualTo(script.Id), "the test page's ad script is inserted by app.js");
        var loads = new[]
        {
            // document end, load event start/end, app.js end, ad.js start, image start
            Load(100, 400, 410, 200, 230, 90),   // ad.js 30 ms after app.js; the image before the document ended (preload scanner)
            Load(100, 400, 430, 200, 250, 95),   // 50 ms
            Load(120, 500, 505, 220, 260, 125),  // 40 ms; the image 5 ms after the document
        };

        var graph = LoadGraphRecorder.Build(snapshot, loads);

        var byUrl = graph.Resources.ToDictionary(r => r.Url);
        Assert.Multiple(() =>
        {
            Assert.That(byUrl[ad.Url].Trigger, Is.EqualTo(script.Id));
            Assert.That(byUrl[ad.Url].DelayMs, Is.EqualTo(40), "median of 30, 50, 40");
            Assert.That(byUrl["http://img.test.example/i/0.jpg"].RawDelayMs, Is.EqualTo(-5), "median of -10, -5, 5");
            Assert.That(byUrl["http://img.test.example/i/0.jpg"].DelayMs, Is.Zero, "found while the document streamed in: no wait after it");
            Assert.That(byUrl["http://img.test.example/i/0.jpg"].BlocksOnload, Is.True);
            Assert.That(byUrl["http://img.test.example/i/1.jpg"].BlocksOnload, Is.False, "started after the load event");
            Assert.That(byUrl["http://img.test.example/i/1.jpg"].Requested, Is.True);
            Assert.That(byUrl["http://www.test.example/favicon.ico"].Requested, Is.False, "never requested in any load");
            Assert.That(byUrl.ContainsKey("http://www.test.example/frame.html"), Is.False, "requested but not in Resource Timing: no figures, the model's defaults (requested, holds the load event)");
            Assert.That(graph.NavigationMs, Is.EqualTo(4));
            // Onload: load event end - last blocking response end (the XHR and the late image excluded): 410-250, 430-270, 505-280.
            Assert.That(graph.OnloadMs, Is.EqualTo(160));
            Assert.That(graph.Runs, Is.EqualTo(3));
        });
    }
}
