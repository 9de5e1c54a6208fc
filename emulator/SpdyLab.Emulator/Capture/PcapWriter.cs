using System.Buffers.Binary;

namespace SpdyLab.Emulator.Capture;

/// <summary>
/// Writes a classic libpcap file (the format tcpdump, tshark and Wireshark read) of bare IP packets:
/// LINKTYPE_RAW (101), microsecond timestamps. Thread-safe: both ferry threads may write one file.
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

    /// <summary>
    /// <paramref name="monotonicOriginMicros"/> and <paramref name="unixOriginMicros"/> name the same
    /// instant on the link's clock and on the wall clock, so packet times (monotonic) become Unix times.
    /// </summary>
    public PcapWriter(Stream stream, long monotonicOriginMicros, long unixOriginMicros)
    {
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
        _stream.Write(header);
    }

    public static PcapWriter Create(string path, long monotonicOriginMicros, long unixOriginMicros) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), monotonicOriginMicros, unixOriginMicros);

    public long PacketsWritten { get; private set; }

    /// <summary>Appends one packet seen at monotonic time <paramref name="timeMicros"/>.</summary>
    public void Write(long timeMicros, ReadOnlySpan<byte> packet)
    {
        long unix = _unixOriginMicros + (timeMicros - _monotonicOriginMicros);
        int captured = Math.Min(packet.Length, SnapLength);
        lock (_lock)
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
    }

    public void Dispose()
    {
        lock (_lock) _stream.Dispose();
    }
}
