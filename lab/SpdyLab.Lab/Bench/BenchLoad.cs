namespace SpdyLab.Lab.Bench;

/// <summary>C connections, each carrying S requests at a time (HTTP/1.1: C x S pooled connections).</summary>
internal readonly record struct BenchLoad(int Connections, int Streams)
{
    public int Concurrency => Connections * Streams;

    public override string ToString() => $"{Connections}x{Streams}";
}
