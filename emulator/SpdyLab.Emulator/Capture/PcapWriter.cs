using System.Buffers.Binary;

namespace SpdyLab.Emulator.Capture;

/// <summary>
/// Writes a classic libpcap file (the format tcpdump, tshark and Wireshark read) of bare IP packets:
/// LINKTYPE_RAW (101), microsecond timestamps. Thread-safe: both ferry threads may write one file.
/// A capture never stops the link: the first write failure (a full disk, an I/O error) ends the
/// capture, is kept in <see cref="Failure"/> and reported once through <see cref="Failed"/>; later
/// packets are only counted in <see cref="PacketsNotWritten"/>.
/// </summary>
public sealed class PcapWriter : IDisposable
{
    public const uint LinkTypeRaw = 101;
    private const int SnapLength = 65535;
    private readonly Stream _stream;
    private readonly long _unixOriginMicros;
    private readonly long _monotonicOriginMicros;
    private readonly byte[] _recordHeader = new byte[16];
    private readonly Lock _lock = new();
    private string? _pendingReport;

    /// <summary>
    /// <paramref name="monotonicOriginMicros"/> and <paramref name="unixOriginMicros"/> name the same
    /// instant on the link's clock and on the wall clock, so packet times (monotonic) become Unix times.
    /// </summary>
    public PcapWriter(Stream stream, long monotonicOriginMicros, long unixOriginMicros, string? name = null)
    {
        Name = name ?? "capture";
        _stream = stream;
        _monotonicOriginMicros = monotonicOriginMicros;
        _unixOriginMicros = unixOriginMicros;
        // Global header (pcap-savefile(5)):
        // +----------------+----------+----------+----------+----------+----------+----------+
        // | magic a1b2c3d4 | major 2  | minor 4  | thiszone | sigfigs  | snaplen  | linktype |
        // |   4 bytes      | 2 bytes  | 2 bytes  | 4 bytes  | 4 bytes  | 4 bytes  | 4 bytes  |
        // +----------------+----------+----------+----------+----------+----------+----------+
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], SnapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], LinkTypeRaw);
        try
        {
            _stream.Write(header);
        }
        catch (Exception e) when (e is IOException or NotSupportedException or ObjectDisposedException)
        {
            _pendingReport = Fail(e); // reported by the first Write, once Failed is set
        }
    }

    public static PcapWriter Create(string path, long monotonicOriginMicros, long unixOriginMicros) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), monotonicOriginMicros, unixOriginMicros, path);

    /// <summary>What the capture is called in messages (its file's path).</summary>
    public string Name { get; }

    /// <summary>Packets handed to the stream (the last few may be lost with the buffer when it failed).</summary>
    public long PacketsWritten { get; private set; }

    /// <summary>Packets not captured because the capture had failed.</summary>
    public long PacketsNotWritten { get; private set; }

    /// <summary>The write error that ended the capture, or null.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Called once, on the thread that hit it, when the capture fails; the message says what
    /// failed, why, and that the link goes on. Set it before packets flow.</summary>
    public Action<string>? Failed { get; set; }

    /// <summary>Appends one packet seen at monotonic time <paramref name="timeMicros"/>. Never throws
    /// for an I/O failure: the capture ends (see <see cref="Failure"/>), the caller's packet goes on.</summary>
    public void Write(long timeMicros, ReadOnlySpan<byte> packet)
    {
        long unix = _unixOriginMicros + (timeMicros - _monotonicOriginMicros);
        int captured = Math.Min(packet.Length, SnapLength);
        string? report = null;
        lock (_lock)
        {
            if (Failure is not null)
            {
                PacketsNotWritten++;
                report = _pendingReport;
                _pendingReport = null;
            }
            else
            {
                try
                {
                    // Record header: ts_sec, ts_usec, incl_len, orig_len (4 bytes each, little-endian).
                    var h = _recordHeader.AsSpan();
                    BinaryPrimitives.WriteUInt32LittleEndian(h, (uint)(unix / 1_000_000));
                    BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)(unix % 1_000_000));
                    BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)captured);
                    BinaryPrimitives.WriteUInt32LittleEndian(h[12..], (uint)packet.Length);
                    _stream.Write(h);
                    _stream.Write(packet[..captured]);
                    PacketsWritten++;
                }
                catch (Exception e) when (e is IOException or NotSupportedException or ObjectDisposedException)
                {
                    report = Fail(e);
                    PacketsNotWritten++;
                }
            }
        }
        if (report is not null) Failed?.Invoke(report);
    }

    // Under _lock. Closes the stream (what it still buffers cannot be written either) and returns the report.
    private string Fail(Exception e)
    {
        Failure = e;
        try { _stream.Dispose(); }
        catch (Exception again) when (again is IOException or NotSupportedException or ObjectDisposedException) { /* the same failure again while flushing: already recorded */ }
        return $"packet capture {Name} stopped after {PacketsWritten} packets: {e.Message}; the link goes on without capture";
    }

    public void Dispose()
    {
        string? report = null;
        lock (_lock)
        {
            if (Failure is not null) return;
            try { _stream.Dispose(); }
            catch (Exception e) when (e is IOException or NotSupportedException or ObjectDisposedException)
            {
                report = Fail(e);
            }
        }
        if (report is not null) Failed?.Invoke(report);
    }
}
