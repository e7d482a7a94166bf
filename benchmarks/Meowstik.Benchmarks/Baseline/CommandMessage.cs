namespace Meowstik.Benchmarks.Baseline;

/// <summary>System.Text.Json equivalent of a command envelope.</summary>
public sealed class CommandMessage
{
    public string? Id { get; set; }
    public string Type { get; set; } = "command";
    public string? From { get; set; }
    public string? To { get; set; }
    public DateTimeOffset? Timestamp { get; set; }
    public CommandBody? Payload { get; set; }
}
