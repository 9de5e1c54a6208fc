using SpdyLab.Server.Http;

namespace SpdyLab.Server.Tests.Http;

/// <summary>A StreamTransport that records what would go on the wire, for feature tests without sockets.</summary>
internal sealed class RecordingTransport(bool canPush = false) : StreamTransport
{
    private readonly CancellationTokenSource _aborted = new();
    private readonly MemoryStream _body = new();

    public int? Status { get; private set; }

    public List<KeyValuePair<string, string>> Headers { get; } = [];

    public List<string> Events { get; } = [];

    public bool Finished { get; private set; }

    public bool? ResetWithCancel { get; private set; }

    public List<(PushTarget Target, RecordingTransport Stream)> Pushes { get; } = [];

    public byte[] Body => _body.ToArray();

    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.FirstOrDefault(h => h.Key == name).Value;

    public override CancellationToken Aborted => _aborted.Token;

    public override bool CanPush => canPush;

    public void AbortFromPeer() => _aborted.Cancel();

    public override ValueTask SendHeadersAsync(int status, IReadOnlyList<KeyValuePair<string, string>> headers, bool endStream, CancellationToken cancellationToken)
    {
        lock (Events)
        {
            Status = status;
            Headers.AddRange(headers);
            Finished |= endStream;
            Events.Add(endStream ? "headers+fin" : "headers");
        }
        return ValueTask.CompletedTask;
    }

    public override ValueTask SendDataAsync(ReadOnlyMemory<byte> data, bool endStream, CancellationToken cancellationToken)
    {
        lock (Events)
        {
            if (Finished)
            {
                throw new InvalidOperationException("data after FIN");
            }
            _body.Write(data.Span);
            Finished |= endStream;
            Events.Add(endStream ? $"data({data.Length})+fin" : $"data({data.Length})");
        }
        return ValueTask.CompletedTask;
    }

    public override void Reset(bool cancel)
    {
        lock (Events)
        {
            ResetWithCancel = cancel;
            Events.Add(cancel ? "rst(cancel)" : "rst(internal)");
        }
    }

    public override ValueTask<StreamTransport?> OpenPushAsync(PushTarget target, int status, IReadOnlyList<KeyValuePair<string, string>> headers,
        bool endStream, CancellationToken cancellationToken)
    {
        var pushed = new RecordingTransport();
        lock (Events)
        {
            pushed.Status = status;
            pushed.Headers.AddRange(headers);
            pushed.Finished = endStream;
            Pushes.Add((target, pushed));
            Events.Add($"push {target.PathAndQuery}");
        }
        return ValueTask.FromResult<StreamTransport?>(pushed);
    }
}
