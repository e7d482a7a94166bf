using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Meowstik.Hub.Tests.Fixtures;

/// <summary>Sums the <c>Meowstik.Hub</c> counters of one host (keys like <c>meowstik.hub.slow_consumers[rule=max_pending]</c>).</summary>
public sealed class HubMeterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _counters = new();

    public HubMeterRecorder(MeshTestHub host)
    {
        object scope = host.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this host's hub: other tests run hubs in parallel, each with its own IMeterFactory scope.
            if (instrument.Meter.Name == "Meowstik.Hub" && ReferenceEquals(instrument.Meter.Scope, scope)) l.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name;
            foreach (KeyValuePair<string, object?> tag in tags) key += $"[{tag.Key}={tag.Value}]";
            _counters.AddOrUpdate(key, value, (_, old) => old + value);
        });
        _listener.Start();
    }

    public long this[string key] => _counters.GetValueOrDefault(key);

    /// <summary>The sum of a counter over all its tags.</summary>
    public long Total(string name) => _counters.Where(p => p.Key == name || p.Key.StartsWith(name + "[", StringComparison.Ordinal)).Sum(p => p.Value);

    public void Dispose() => _listener.Dispose();
}
