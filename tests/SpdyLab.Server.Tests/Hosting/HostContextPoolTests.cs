using Microsoft.AspNetCore.Http.Features;
using SpdyLab.Server.Hosting;

namespace SpdyLab.Server.Tests.Hosting;

public class HostContextPoolTests
{
    [Test]
    public void Rent_AfterReturn_SameHolderWithItsHostContextAndTheNewRequestsFeatures()
    {
        var pool = new SpdyApplication.HostContextPool<object>();
        var firstFeatures = new FeatureCollection();
        var held = pool.Rent(firstFeatures);
        held.HostContext = new object();
        var hostContext = held.HostContext;

        pool.Return(held);
        var secondFeatures = new FeatureCollection();
        secondFeatures.Set("second");
        var again = pool.Rent(secondFeatures);

        Assert.That(again, Is.SameAs(held));
        Assert.That(again.HostContext, Is.SameAs(hostContext));
        Assert.That(again.Get<string>(), Is.EqualTo("second"));
        Assert.That(again.Revision, Is.EqualTo(secondFeatures.Revision));
    }

    [Test]
    public void Features_AfterReturn_ThrowInsteadOfReachingAnotherRequest()
    {
        var pool = new SpdyApplication.HostContextPool<object>();
        var held = pool.Rent(new FeatureCollection());

        pool.Return(held);

        Assert.That(() => held.Get<string>(), Throws.InstanceOf<ObjectDisposedException>());
    }
}
