namespace Meowstik.Benchmarks.Baseline;

/// <summary>System.Text.Json equivalent of a heartbeat envelope.</summary>
public sealed class HeartbeatMessage
{
    public string? Id { get; set; }
    public string Type { get; set; } = "heartbeat";
    public string? From { get; set; }
    public string? To { get; set; }
    public DateTimeOffset? Timestamp { get; set; }
    public HeartbeatBody? Payload { get; set; }
}
