using SpdyLab.Lab.Runner;
using SpdyLab.Lab.Tests.PageLoad;

namespace SpdyLab.Lab.Tests.Runner;

public class ChromiumMetricsTests
{
    [Test]
    public void RequestsOfSnapshot_CountsEachRecordedUrlOnce_WhateverTheScheme_AndNothingElse()
    {
        var snapshot = TestPages.Build(images: 2);
        var requested = new[]
        {
            "https://www.test.example/",                 // the document, upgraded to https
            "https://img.test.example/i/0.jpg",
            "https://img.test.example/i/0.jpg",          // asked twice: one resource
            "http://img.test.example/i/1.jpg",
            "https://www.test.example/not-in-the-recording.png",
            "data:image/png;base64,AAAA",
        };
        Assert.That(WorldTrialExecutor.RequestsOfSnapshot(snapshot, requested), Is.EqualTo(3));
    }
}
