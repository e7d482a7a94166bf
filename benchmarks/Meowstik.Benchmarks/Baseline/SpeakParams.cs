namespace Meowstik.Benchmarks.Baseline;

/// <summary>System.Text.Json equivalent of the speak parameters.</summary>
public sealed class SpeakParams
{
    public string? Text { get; set; }
    public int Volume { get; set; }
}
