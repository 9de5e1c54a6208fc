using System.Text;
using NUnit.Framework;
using SpdyLab.Client.PageLoad;

namespace SpdyLab.Client.Tests.PageLoad;

public class Http11ConnectionTests
{
    /// <summary>A connection whose reads return a scripted server byte stream, a few bytes at a time.</summary>
    private sealed class ScriptedStream(byte[] serverBytes, int chunk) : Stream
    {
        private int _position;

        public MemoryStream Written { get; } = new();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, chunk), serverBytes.Length - _position);
            Array.Copy(serverBytes, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
    }

    private static (Http11Connection Connection, ScriptedStream Stream) Connect(string server, int chunk = 7)
    {
        var stream = new ScriptedStream(Encoding.Latin1.GetBytes(server), chunk);
        var opened = new OpenedConnection(new ConnectionRecord { Id = 1, Host = "a.example" }, stream);
        return (new Http11Connection(opened, () => 0), stream);
    }

    private static ResourceLoad Load(string url, params (string, string)[] headers)
    {
        var resource = new PageResource(url, ResourceType.Image, headers.Select(h => new KeyValuePair<string, string>(h.Item1, h.Item2)).ToList());
        return new ResourceLoad(resource, resource.Uri, 0);
    }

    [Test]
    public async Task Exchange_RecordedHeaders_SentOnceWithHostFirstAndKeepAlive()
    {
        var (connection, stream) = Connect("HTTP/1.1 204 No Content\r\n\r\n");
        var load = Load("http://a.example/x%2C.png?q=1", ("User-Agent", "UA"), ("Host", "a.example"), ("Connection", "close"), ("Cookie", "c=1"));

        await connection.ExchangeAsync(load, _ => { }, CancellationToken.None);

        var request = Encoding.Latin1.GetString(stream.Written.ToArray());
        Assert.That(request, Is.EqualTo("GET /x%2C.png?q=1 HTTP/1.1\r\nHost: a.example\r\nUser-Agent: UA\r\nCookie: c=1\r\nConnection: keep-alive\r\n\r\n"));
        Assert.That(load.RequestHeaderBytes, Is.EqualTo(request.Length));
    }

    [Test]
    public async Task Exchange_ContentLengthThenChunked_BothBodiesReadAndCountedOnOneConnection()
    {
        const string first = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";
        const string second = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n5;ext=1\r\npedia\r\n0\r\nTrailer: x\r\n\r\n";
        var (connection, _) = Connect(first + second);
        var a = Load("http://a.example/a");
        var b = Load("http://a.example/b");
        var headersSeen = new List<int>();

        await connection.ExchangeAsync(a, l => headersSeen.Add(l.Status), CancellationToken.None);
        await connection.ExchangeAsync(b, l => headersSeen.Add(l.Status), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(Encoding.ASCII.GetString(a.Body), Is.EqualTo("hello"));
            Assert.That(a.ResponseHeaderBytes + a.ResponseBodyWireBytes, Is.EqualTo(first.Length));
            Assert.That(Encoding.ASCII.GetString(b.Body), Is.EqualTo("wikipedia"));
            Assert.That(b.ResponseHeaderBytes + b.ResponseBodyWireBytes, Is.EqualTo(second.Length));
            Assert.That(headersSeen, Is.EqualTo(new[] { 200, 200 }));
            Assert.That(connection.Reusable, Is.True);
        });
    }

    [Test]
    public async Task Exchange_ConnectionClose_MakesTheConnectionNotReusable()
    {
        var (connection, _) = Connect("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
        var load = Load("http://a.example/");

        await connection.ExchangeAsync(load, _ => { }, CancellationToken.None);

        Assert.That(Encoding.ASCII.GetString(load.Body), Is.EqualTo("until the end"));
        Assert.That(connection.Reusable, Is.False);
    }

    [Test]
    public void Exchange_TruncatedBody_Throws()
    {
        var (connection, _) = Connect("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort");

        Assert.ThrowsAsync<PageLoadException>(() => connection.ExchangeAsync(Load("http://a.example/"), _ => { }, CancellationToken.None));
    }
}
