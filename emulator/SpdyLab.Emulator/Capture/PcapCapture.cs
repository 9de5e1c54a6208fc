using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace SpdyLab.Emulator.Capture;

/// <summary>
/// A packet capture file of bare IP packets (LINKTYPE_RAW, microsecond timestamps), written by libpcap
/// through SharpPcap's <see cref="CaptureFileWriterDevice"/>, so tcpdump, tshark and Wireshark read it.
/// <para>The ferry threads only copy each packet into a bounded queue (<see cref="Write"/>: a copy and an
/// enqueue, no system call, no lock); one writer thread per file hands the queued packets to libpcap.
/// So the link's hot path does not pay for libpcap (measured 2-5 µs a packet on this machine) and a slow
/// disk cannot slow the link.</para>
/// <para>A capture never stops the link: the first write failure (a full disk, an I/O error) ends the
/// capture, is kept in <see cref="Failure"/> and reported once through <see cref="Failed"/>; later packets
/// are only counted in <see cref="PacketsNotWritten"/>. A writer that falls more than
/// <see cref="MaxQueuedPackets"/> packets behind drops arrivals (counted, reported once) instead of
/// holding memory without bound.</para>
/// </summary>
public sealed class PcapCapture : IDisposable
{
    /// <summary>The most packets waiting for the writer thread (about 100 MB at MTU 1500).</summary>
    public const int MaxQueuedPackets = 65_536;

    /// <summary>LINKTYPE_RAW, the link type in the file's header: packets begin with the IP header.</summary>
    public const uint FileLinkType = 101;

    private const int SnapLength = 65_535;
    private const int WriterIdleMillis = 5; // how long the writer sleeps when the queue is empty
    private static readonly TimeSpan CloseLimit = TimeSpan.FromSeconds(20);
    private readonly long _unixOriginMicros;
    private readonly long _monotonicOriginMicros;
    private readonly ConcurrentQueue<QueuedPacket> _queue = new();
    private readonly Thread _writer;
    private readonly CheckedWriterDevice _device;
    private int _queued;
    private long _packetsWritten;
    private long _packetsNotWritten;
    private volatile bool _stopping;
    private volatile bool _closed;
    private int _reportedBehind;

    private readonly record struct QueuedPacket(long TimeMicros, byte[] Buffer, int Length);

    private PcapCapture(string path, long monotonicOriginMicros, long unixOriginMicros)
    {
        Name = path;
        _monotonicOriginMicros = monotonicOriginMicros;
        _unixOriginMicros = unixOriginMicros;
        _device = new CheckedWriterDevice(path);
        try
        {
            // DLT_RAW (12) is what libpcap accepts for a savefile of raw IP on Linux; it writes it as
            // LINKTYPE_RAW (101) in the file header (pcap-linktype(7)).
            _device.Open(new DeviceConfiguration { LinkLayerType = LinkLayers.RawLegacy, Snaplen = SnapLength });
        }
        catch (PcapException e)
        {
            throw new IOException($"cannot create the packet capture {path}: {e.Message} (is the folder there and writable?)", e);
        }
        catch (DllNotFoundException e)
        {
            throw new IOException($"cannot create the packet capture {path}: libpcap is missing ({e.Message}); install it: apt-get install libpcap0.8", e);
        }
        _writer = new Thread(Run) { IsBackground = true, Name = $"pcap {Path.GetFileName(path)}" };
        _writer.Start();
    }

    /// <summary>
    /// Creates the file at <paramref name="path"/> (replacing one that is there) and starts its writer.
    /// <paramref name="monotonicOriginMicros"/> and <paramref name="unixOriginMicros"/> name the same
    /// instant on the link's clock and on the wall clock, so packet times (monotonic) become Unix times.
    /// Throws <see cref="IOException"/> when the file cannot be created.
    /// </summary>
    public static PcapCapture Create(string path, long monotonicOriginMicros, long unixOriginMicros) =>
        new(path, monotonicOriginMicros, unixOriginMicros);

    /// <summary>What the capture is called in messages (its file's path).</summary>
    public string Name { get; }

    /// <summary>Packets handed to libpcap (the last few may be lost with its buffer when the capture failed).</summary>
    public long PacketsWritten => Interlocked.Read(ref _packetsWritten);

    /// <summary>Packets not captured: the capture had failed, or the writer was too far behind.</summary>
    public long PacketsNotWritten => Interlocked.Read(ref _packetsNotWritten);

    /// <summary>The write error that ended the capture, or null.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Called once when the capture fails (on the writer thread), and once if the writer falls
    /// behind (on a ferry thread); the message says what happened and that the link goes on. Set it
    /// before packets flow.</summary>
    public Action<string>? Failed { get; set; }

    /// <summary>Queues one packet seen at monotonic time <paramref name="timeMicros"/>. Never blocks and
    /// never throws: after a failure or <see cref="Complete"/> the packet is only counted (or ignored).</summary>
    public void Write(long timeMicros, ReadOnlySpan<byte> packet)
    {
        if (_closed) return;
        if (Failure is not null)
        {
            Interlocked.Increment(ref _packetsNotWritten);
            return;
        }
        if (Interlocked.Increment(ref _queued) > MaxQueuedPackets)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _packetsNotWritten);
            if (Interlocked.Exchange(ref _reportedBehind, 1) == 0)
            {
                Failed?.Invoke($"packet capture {Name}: the writer is more than {MaxQueuedPackets} packets behind (a slow disk?); " +
                               "packets are left out of the capture until it catches up (counted); the link goes on");
            }
            return;
        }
        int captured = Math.Min(packet.Length, SnapLength);
        var buffer = ArrayPool<byte>.Shared.Rent(captured);
        packet[..captured].CopyTo(buffer);
        _queue.Enqueue(new QueuedPacket(timeMicros, buffer, captured));
    }

    /// <summary>
    /// Writes what is queued, closes the file and returns when it is complete on disk (bounded: 20 s),
    /// so it can be read while the link goes on; packets written after this are ignored. Idempotent.
    /// </summary>
    public void Complete()
    {
        _stopping = true;
        if (_writer.IsAlive && !_writer.Join(CloseLimit))
        {
            Failed?.Invoke($"packet capture {Name}: the writer did not finish within {CloseLimit.TotalSeconds:0} s; the file may be incomplete");
        }
        _closed = true;
    }

    public void Dispose() => Complete();

    private void Run()
    {
        try
        {
            while (true)
            {
                // Read before draining: whatever was queued before Complete() is written.
                bool stopping = _stopping;
                while (_queue.TryDequeue(out var queued))
                {
                    Interlocked.Decrement(ref _queued);
                    try
                    {
                        if (Failure is null) WriteOne(queued);
                        else Interlocked.Increment(ref _packetsNotWritten);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(queued.Buffer);
                    }
                }
                if (stopping) break;
                Thread.Sleep(WriterIdleMillis);
            }
            if (Failure is null && _device.FlushFailed(out var error)) Fail(error);
        }
        finally
        {
            _device.Close();
        }
    }

    private void WriteOne(QueuedPacket queued)
    {
        long unix = _unixOriginMicros + (queued.TimeMicros - _monotonicOriginMicros);
        var header = new PcapHeader((uint)(unix / 1_000_000), (uint)(unix % 1_000_000), (uint)queued.Length, (uint)queued.Length);
        _device.Write(queued.Buffer.AsSpan(0, queued.Length), ref header);
        // libpcap's pcap_dump() returns nothing: a failed write shows as the stdio stream's error flag.
        if (_device.WriteFailed(out var error))
        {
            Interlocked.Increment(ref _packetsNotWritten);
            Fail(error);
            return;
        }
        Interlocked.Increment(ref _packetsWritten);
    }

    private void Fail(IOException error)
    {
        Failure = error;
        Failed?.Invoke($"packet capture {Name} stopped after {PacketsWritten} packets: {error.Message}; the link goes on without capture");
    }

    /// <summary>SharpPcap's writer plus the two checks libpcap offers for a dump file's errors, which
    /// SharpPcap does not make: the stdio error flag of the dump's FILE, and pcap_dump_flush's result.</summary>
    private sealed class CheckedWriterDevice(string path) : CaptureFileWriterDevice(path, FileMode.Create)
    {
        public bool WriteFailed(out IOException error)
        {
            // Read errno first: it is the cause if the write just failed, and later calls may change it.
            int errno = Marshal.GetLastSystemError();
            error = null!;
            nint file = m_pcapDumpHandle == 0 ? 0 : NativeMethods.pcap_dump_file(m_pcapDumpHandle);
            if (file == 0 || NativeMethods.ferror(file) == 0) return false;
            error = new IOException(errno == 0 ? "write error" : $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
            return true;
        }

        public bool FlushFailed(out IOException error)
        {
            error = null!;
            if (m_pcapDumpHandle == 0 || NativeMethods.pcap_dump_flush(m_pcapDumpHandle) == 0) return false;
            int errno = Marshal.GetLastPInvokeError();
            error = new IOException(errno == 0 ? "write error" : $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
            return true;
        }
    }

    private static class NativeMethods
    {
        private const string LibPcap = "libpcap.so.0.8"; // Debian's libpcap0.8, the library SharpPcap loads

        [DllImport(LibPcap)]
        public static extern nint pcap_dump_file(nint dumper);

        [DllImport(LibPcap, SetLastError = true)]
        public static extern int pcap_dump_flush(nint dumper);

        [DllImport("libc")]
        public static extern int ferror(nint file);
    }
}
