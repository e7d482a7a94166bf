namespace Meowstik.Benchmarks.Baseline;

/// <summary>System.Text.Json equivalent of a stream envelope.</summary>
public sealed class StreamMessage
{
    public string? Id { get; set; }
    public string Type { get; set; } = "stream";
    public string? From { get; set; }
    public string? To { get; set; }
    public DateTimeOffset? Timestamp { get; set; }
    public StreamBody? Payload { get; set; }
}
