using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Meowstik.Agent;

namespace Meowstik.Agent.Tests;

/// <summary>Records the long counters of the Meowstik.Agent meter for one device id.</summary>
internal sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly string _deviceId;
    private readonly ConcurrentQueue<(string Instrument, long Value, Dictionary<string, object?> Tags)> _measurements = new();

    public MetricRecorder(string deviceId)
    {
        _deviceId = deviceId;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeshAgentMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.SetMeasurementEventCallback<int>((i, v, t, s) => OnMeasurement(i, v, t, s));
        _listener.Start();
    }

    public long Sum(string instrument, string? tag = null, string? value = null)
    {
        _listener.RecordObservableInstruments();
        return _measurements
            .Where(m => m.Instrument == instrument && (tag is null || (m.Tags.TryGetValue(tag, out object? v) && Equals(v, value))))
            .Sum(m => m.Value);
    }

    public long Last(string instrument)
    {
        _listener.RecordObservableInstruments();
        return _measurements.Where(m => m.Instrument == instrument).Select(m => m.Value).LastOrDefault();
    }

    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var dict = new Dictionary<string, object?>();
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            dict[tag.Key] = tag.Value;
        }

        if (dict.TryGetValue("device_id", out object? device) && Equals(device, _deviceId))
        {
            _measurements.Enqueue((instrument.Name, value, dict));
        }
    }
}
