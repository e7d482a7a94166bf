namespace Meowstik.Benchmarks.Baseline;

/// <summary>System.Text.Json equivalent of the heartbeat payload.</summary>
public sealed class HeartbeatBody
{
    public long UptimeSeconds { get; set; }
    public double MemoryMb { get; set; }
    public double CpuPercent { get; set; }
}
