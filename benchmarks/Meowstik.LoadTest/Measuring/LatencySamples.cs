using System.Diagnostics;

namespace Meowstik.LoadTest.Measuring;

/// <summary>Latency samples (Stopwatch ticks) from one receive loop; merged across loops to take percentiles.</summary>
internal sealed class LatencySamples
{
    private readonly List<long> _ticks = new(capacity: 1 << 16);

    public int Count => _ticks.Count;

    /// <summary>Records the time since <paramref name="sentStamp"/> (a <see cref="Stopwatch.GetTimestamp"/> value). Not thread-safe: one receive loop each.</summary>
    public void RecordSince(long sentStamp)
    {
        if (sentStamp > 0) _ticks.Add(Stopwatch.GetTimestamp() - sentStamp);
    }

    /// <summary>The <paramref name="quantile"/> (0..1) in microseconds over all <paramref name="samples"/>; null without samples.</summary>
    public static double? PercentileMicroseconds(IEnumerable<LatencySamples> samples, double quantile)
    {
        long[] all = samples.SelectMany(s => s._ticks).ToArray();
        if (all.Length == 0) return null;
        Array.Sort(all);
        int index = Math.Clamp((int)Math.Ceiling(quantile * all.Length) - 1, 0, all.Length - 1);
        return all[index] * 1_000_000.0 / Stopwatch.Frequency;
    }
}
