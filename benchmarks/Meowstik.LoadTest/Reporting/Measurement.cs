using System.Globalization;

namespace Meowstik.LoadTest.Reporting;

/// <summary>One figure of one system in one scenario. <see cref="Value"/> is null when the system cannot do the scenario (n/a).</summary>
internal sealed record Measurement(string Scenario, string Metric, string System, double? Value, string Note = "")
{
    /// <summary>The raw line printed under the table.</summary>
    public string RawLine() =>
        $"raw system={System} scenario={Scenario} metric=\"{Metric}\" value={(Value is { } v ? v.ToString("0.###", CultureInfo.InvariantCulture) : "n/a")}" +
        (Note.Length > 0 ? $" note=\"{Note}\"" : "");
}
