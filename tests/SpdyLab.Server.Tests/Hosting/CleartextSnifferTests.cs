using System.Buffers;
using System.IO.Pipelines;
using SpdyLab.Server.Hosting;

namespace SpdyLab.Server.Tests.Hosting;

public class CleartextSnifferTests
{
    [TestCase(new byte[] { 0x80, 0x02, 0x00, 0x01 }, CleartextProtocol.SpdyVersion2)]
    [TestCase(new byte[] { 0x80, 0x03, 0x00, 0x04 }, CleartextProtocol.SpdyVersion3)]
    [TestCase(new byte[] { 0x80, 0x04, 0x00, 0x01 }, CleartextProtocol.Unsupported)]
    [TestCase(new byte[] { (byte)'G', (byte)'E', (byte)'T', (byte)' ' }, CleartextProtocol.Http)]
    [TestCase(new byte[] { (byte)'P' }, CleartextProtocol.Http)]
    public void Classify_FirstBytes_NamesProtocol(byte[] bytes, CleartextProtocol expected)
    {
        var protocol = CleartextSniffer.Classify(bytes, out var needMore);

        Assert.That(needMore, Is.False);
        Assert.That(protocol, Is.EqualTo(expected));
    }

    // A DATA frame first (stream 1, 3 bytes): the control frame after it decides, else wire version 3.
    [TestCase(new byte[] { 0, 0, 0, 1, 0, 0, 0, 3, 1, 2, 3 }, CleartextProtocol.SpdyVersion3)]
    [TestCase(new byte[] { 0, 0, 0, 1, 0, 0, 0, 3, 1, 2, 3, 0x80, 0x02, 0x00, 0x06 }, CleartextProtocol.SpdyVersion2)]
    [TestCase(new byte[] { 0, 0, 0, 1, 0, 0, 0, 3, 1, 2, 3, 0x80, 0x03, 0x00, 0x06 }, CleartextProtocol.SpdyVersion3)]
    [TestCase(new byte[] { 0, 0, 0, 1, 0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 3, 0, 0, 0, 0, 0x80, 0x02, 0x00, 0x06 }, CleartextProtocol.SpdyVersion2)]
    [TestCase(new byte[] { 0, 0, 0, 1, 0, 0, 0x40, 0 }, CleartextProtocol.SpdyVersion3)]
    [TestCase(new byte[] { 0, 0, 0, 1, 0, 0, 0, 3, 1, 2, 3, 0x80, 0x04, 0x00, 0x06 }, CleartextProtocol.Unsupported)]
    public void Classify_DataFrameFirst_VersionFromTheNextControlFrameOrThree(byte[] bytes, CleartextProtocol expected)
    {
        var protocol = CleartextSniffer.Classify(bytes, out var needMore);

        Assert.That((protocol, needMore), Is.EqualTo((expected, false)));
    }

    [Test]
    public void Classify_ControlBitWithTwoBytes_NeedsMore()
    {
        CleartextSniffer.Classify(new byte[] { 0x80, 0x03 }, out var needMore);

        Assert.That(needMore, Is.True);
    }

    [Test, CancelAfter(5000)]
    public async Task PeekAsync_BytesArriveInPieces_DecidesAndLeavesBytesUnread(CancellationToken cancellationToken)
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[] { 0x80, 0x03 }, cancellationToken);
        var peek = CleartextSniffer.PeekAsync(pipe.Reader, cancellationToken).AsTask();
        await Task.Delay(50, cancellationToken);
        Assert.That(peek.IsCompleted, Is.False);

        await pipe.Writer.WriteAsync(new byte[] { 0x00, 0x01, 0x09 }, cancellationToken);
        var protocol = await peek;

        Assert.That(protocol, Is.EqualTo(CleartextProtocol.SpdyVersion3));
        var read = await pipe.Reader.ReadAsync(cancellationToken);
        Assert.That(read.Buffer.ToArray(), Is.EqualTo(new byte[] { 0x80, 0x03, 0x00, 0x01, 0x09 }));
    }
}
