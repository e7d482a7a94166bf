namespace Meowstik.Benchmarks.Baseline;

/// <summary>System.Text.Json equivalent of the speak command payload.</summary>
public sealed class CommandBody
{
    public string? Action { get; set; }
    public SpeakParams? Params { get; set; }
}
