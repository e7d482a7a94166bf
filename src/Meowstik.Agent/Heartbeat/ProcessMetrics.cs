namespace Meowstik.Agent;

/// <summary>The figures one heartbeat carries.</summary>
/// <param name="UptimeSeconds">Seconds since the agent's process started.</param>
/// <param name="MemoryMegabytes">The process working set in MiB.</param>
/// <param name="CpuPercent">Process CPU time over the last sampling interval divided by wall time and
/// <see cref="Environment.ProcessorCount"/>, in percent (0-100).</param>
public readonly record struct ProcessMetrics(long UptimeSeconds, double MemoryMegabytes, double CpuPercent);
