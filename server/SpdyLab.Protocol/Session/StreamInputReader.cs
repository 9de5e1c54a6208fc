using System.Buffers;
using System.IO.Pipelines;

namespace SpdyLab.Protocol;

/// <summary>
/// The application's view of a stream's incoming DATA. It wraps the stream's internal pipe and reports how many
/// bytes the application consumed, so the session can send WINDOW_UPDATE as data is consumed (spdy3 §2.6.8),
/// not merely as it arrives.
/// </summary>
internal sealed class StreamInputReader(SpdyStream stream, PipeReader inner) : PipeReader
{
    private ReadOnlySequence<byte> _lastBuffer;
    private long _deliveredBeforeError = -1;

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        var bytes = _lastBuffer.Slice(_lastBuffer.Start, consumed).Length;
        _lastBuffer = default;
        inner.AdvanceTo(consumed, examined);
        if (bytes > 0)
        {
            stream.OnInputConsumed(bytes);
        }
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        inner.Complete(exception);
        stream.OnInputAbandoned();
    }

    // Pooled: the application waits for DATA on almost every read, and a fresh state machine box per wait
    // would be an allocation per DATA frame.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        result = ThrowOrDeliver(result);
        _lastBuffer = result.Buffer;
        return result;
    }

    public override bool TryRead(out ReadResult result)
    {
        if (inner.TryRead(out result))
        {
            result = ThrowOrDeliver(result);
            _lastBuffer = result.Buffer;
            return true;
        }

        return false;
    }

    /// <summary>
    /// A stream that ended with an error (reset, session end) first delivers the DATA that arrived before it, as
    /// not yet completed, so a reader never takes a cut-short body for a whole one; the error is thrown when
    /// nothing is left, or when the reader read the same data again without consuming any of it.
    /// </summary>
    private ReadResult ThrowOrDeliver(ReadResult result)
    {
        if (!result.IsCompleted || stream.InputError is not { } error)
        {
            return result;
        }

        if (result.Buffer.IsEmpty || result.Buffer.Length == _deliveredBeforeError)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }

        _deliveredBeforeError = result.Buffer.Length;
        return new ReadResult(result.Buffer, result.IsCanceled, isCompleted: false);
    }
}
