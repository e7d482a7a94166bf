using System.Diagnostics;

namespace Meowstik.Benchmarks.Routing;

/// <summary>Collects one-way latencies (Stopwatch ticks) into a preallocated ring without allocating, and reports percentiles.</summary>
public sealed class LatencyRecorder(int capacity)
{
    private readonly long[] _samples = new long[capacity];
    private long _count;

    public void Record(long sentTimestamp)
    {
        long index = Interlocked.Increment(ref _count) - 1;
        _samples[index % _samples.Length] = Stopwatch.GetTimestamp() - sentTimestamp;
    }

    public void Reset() => Interlocked.Exchange(ref _count, 0);

    public long Count => Interlocked.Read(ref _count);

    /// <summary>p50, p99 and max in microseconds over the samples kept.</summary>
    public (double P50, double P99, double Max) Percentiles()
    {
        int n = (int)Math.Min(Count, _samples.Length);
        if (n == 0) return (0, 0, 0);
        long[] sorted = _samples[..n];
        Array.Sort(sorted);
        double ToMicros(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
        return (ToMicros(sorted[(int)(n * 0.50)]), ToMicros(sorted[Math.Min(n - 1, (int)(n * 0.99))]), ToMicros(sorted[^1]));
    }
}
