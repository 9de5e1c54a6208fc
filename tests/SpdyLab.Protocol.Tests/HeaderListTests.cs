using SpdyLab.Protocol;

namespace SpdyLab.Protocol.Tests;

public class HeaderListTests
{
    [Test]
    public void GetEnumerator_RepeatedAndSingleNames_OnePairPerValueInInsertionOrder()
    {
        var headers = new HeaderList().Add("a", "1").Add("b", "2").Add("a", "3").Add("c", "4");

        var pairs = new List<string>();
        foreach (var (name, value) in headers)
        {
            pairs.Add($"{name}={value}");
        }

        Assert.That(pairs, Is.EqualTo(new[] { "a=1", "a=3", "b=2", "c=4" }));
        // The interface view (LINQ) yields the same, and an enumerator starts over after Reset.
        Assert.That(headers.Select(h => $"{h.Key}={h.Value}"), Is.EqualTo(pairs));
        var enumerator = headers.GetEnumerator();
        Assert.That(enumerator.MoveNext(), Is.True);
        Assert.That(enumerator.MoveNext(), Is.True);
        enumerator.Reset();
        Assert.That(enumerator.MoveNext() && enumerator.Current.Value == "1", Is.True);
    }

    [Test]
    public void GetEnumerator_Empty_YieldsNothing()
    {
        Assert.That(new HeaderList().Count(), Is.Zero);
    }
}
