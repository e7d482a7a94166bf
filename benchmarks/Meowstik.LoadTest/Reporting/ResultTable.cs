using System.Globalization;
using System.Text;

namespace Meowstik.LoadTest.Reporting;

/// <summary>
/// The Markdown table of a run: one row per scenario and figure, one column per system, and each system's ratio to
/// nats-server measured in the same run. Notes (losses, closes, errors, limits) follow the table.
/// </summary>
internal static class ResultTable
{
    public const string Baseline = "nats";

    public static string Render(IReadOnlyList<Measurement> measurements, IReadOnlyList<string> systems)
    {
        var text = new StringBuilder();
        string[] others = systems.Where(s => s != Baseline).ToArray();
        bool hasBaseline = systems.Contains(Baseline);
        text.Append("| Scenario | Figure |");
        foreach (string system in systems) text.Append(' ').Append(system).Append(" |");
        if (hasBaseline) foreach (string system in others) text.Append(' ').Append(system).Append(" / nats |");
        text.Append('\n').Append("|---|---|");
        foreach (string _ in systems) text.Append("---:|");
        if (hasBaseline) foreach (string _ in others) text.Append("---:|");
        text.Append('\n');

        foreach (IGrouping<(string Scenario, string Metric), Measurement> row in measurements.GroupBy(m => (m.Scenario, m.Metric)))
        {
            text.Append("| ").Append(row.Key.Scenario).Append(" | ").Append(row.Key.Metric).Append(" |");
            foreach (string system in systems) text.Append(' ').Append(Format(ValueOf(row, system))).Append(" |");
            if (hasBaseline)
            {
                double? baseline = ValueOf(row, Baseline);
                foreach (string system in others) text.Append(' ').Append(Ratio(ValueOf(row, system), baseline)).Append(" |");
            }
            text.Append('\n');
        }

        Measurement[] noted = measurements.Where(m => m.Note.Length > 0).ToArray();
        if (noted.Length > 0)
        {
            text.Append("\nNotes:\n");
            foreach (Measurement m in noted) text.Append("- ").Append(m.System).Append(", ").Append(m.Scenario).Append(", ").Append(m.Metric).Append(": ").Append(m.Note).Append('\n');
        }
        return text.ToString();
    }

    private static double? ValueOf(IEnumerable<Measurement> row, string system) => row.FirstOrDefault(m => m.System == system)?.Value;

    private static string Format(double? value) => value switch
    {
        null => "n/a",
        >= 100 => value.Value.ToString("#,0", CultureInfo.InvariantCulture),
        >= 10 => value.Value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.Value.ToString("0.##", CultureInfo.InvariantCulture),
    };

    private static string Ratio(double? value, double? baseline) =>
        value is { } v && baseline is { } b && b != 0 ? (v / b).ToString("0.00", CultureInfo.InvariantCulture) + "×" : "–";
}
