namespace Meowstik.Agent;

/// <summary>Raw process counters read at one instant; the sampler turns two of them into rates.</summary>
/// <param name="TotalProcessorTime">CPU time the process has used since it started (all threads, user + kernel).</param>
/// <param name="WorkingSetBytes">The process working set in bytes.</param>
internal readonly record struct ProcessCounters(TimeSpan TotalProcessorTime, long WorkingSetBytes)
{
    /// <summary>Reads the current process's counters without creating a <see cref="System.Diagnostics.Process"/>.</summary>
    public static ProcessCounters ReadCurrent() =>
        new(Environment.CpuUsage.TotalTime, Environment.WorkingSet);
}
