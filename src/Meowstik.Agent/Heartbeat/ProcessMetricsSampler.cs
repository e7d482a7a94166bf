using System.Diagnostics;

namespace Meowstik.Agent;

/// <summary>
/// Samples the figures a heartbeat reports: uptime, working set and CPU use over the interval since the
/// previous sample. Thread-safe; each call to <see cref="Sample"/> starts a new CPU interval.
/// </summary>
public sealed class ProcessMetricsSampler
{
    private readonly TimeProvider _time;
    private readonly Func<ProcessCounters> _read;
    private readonly int _processorCount;
    private readonly TimeSpan _uptimeAtStart;
    private readonly long _startTimestamp;
    private readonly Lock _lock = new();
    private long _lastTimestamp;
    private TimeSpan _lastCpu;

    /// <summary>Creates a sampler for the current process.</summary>
    /// <param name="time">The clock; <see cref="TimeProvider.System"/> when null.</param>
    public ProcessMetricsSampler(TimeProvider? time = null)
        : this(time ?? TimeProvider.System, ProcessCounters.ReadCurrent, Environment.ProcessorCount, ReadProcessUptime())
    {
    }

    internal ProcessMetricsSampler(TimeProvider time, Func<ProcessCounters> read, int processorCount, TimeSpan uptimeAtStart)
    {
        _time = time;
        _read = read;
        _processorCount = Math.Max(1, processorCount);
        _uptimeAtStart = uptimeAtStart;
        _startTimestamp = time.GetTimestamp();
        _lastTimestamp = _startTimestamp;
        _lastCpu = read().TotalProcessorTime;
    }

    /// <summary>Takes a sample; CPU percent covers the time since the previous sample (or construction).</summary>
    /// <returns>The current figures.</returns>
    public ProcessMetrics Sample()
    {
        ProcessCounters counters = _read();
        long now = _time.GetTimestamp();
        double cpuPercent;
        lock (_lock)
        {
            TimeSpan wall = _time.GetElapsedTime(_lastTimestamp, now);
            TimeSpan cpu = counters.TotalProcessorTime - _lastCpu;
            cpuPercent = wall > TimeSpan.Zero
                ? cpu.TotalMilliseconds / wall.TotalMilliseconds / _processorCount * 100.0
                : 0;
            _lastTimestamp = now;
            _lastCpu = counters.TotalProcessorTime;
        }

        TimeSpan uptime = _uptimeAtStart + _time.GetElapsedTime(_startTimestamp, now);
        return new ProcessMetrics(
            (long)uptime.TotalSeconds,
            Math.Round(counters.WorkingSetBytes / (1024.0 * 1024.0), 1),
            Math.Round(Math.Clamp(cpuPercent, 0, 100), 1));
    }

    private static TimeSpan ReadProcessUptime()
    {
        using Process self = Process.GetCurrentProcess();
        TimeSpan uptime = DateTime.Now - self.StartTime;
        return uptime < TimeSpan.Zero ? TimeSpan.Zero : uptime;
    }
}
