using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;

namespace Meowstik.LoadTest.Hosting;

/// <summary>
/// Totals of the hub's own counters (meter <c>Meowstik.Hub</c>: messages received/routed/dropped by reason, connections),
/// collected inside the hub process so the parent can show the hub's view of drops and closes next to what the clients saw.
/// </summary>
internal sealed class HubCounters : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new(StringComparer.Ordinal);

    public HubCounters()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith("Meowstik.Hub", StringComparison.Ordinal) && instrument is Counter<long> or ObservableGauge<int> or ObservableGauge<long>)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags, sum: true));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Add(instrument, value, tags, sum: false));
        _listener.Start();
    }

    /// <summary>One line per counter: <c>name[tag=value] total</c>; gauges show their current value.</summary>
    public string Describe()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        foreach ((string key, long value) in _totals.OrderBy(p => p.Key, StringComparer.Ordinal)) text.Append(key).Append(' ').Append(value).Append('\n');
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, bool sum)
    {
        string key = instrument.Name;
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            if (tag.Key == "reason") key += "[reason=" + tag.Value + "]";
        }
        if (sum) _totals.AddOrUpdate(key, value, (_, total) => total + value);
        else _totals[key] = value;
    }
}
