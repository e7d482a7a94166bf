using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Meowstik.Hub.Tests.Metrics;

public sealed class HubMetricsTests
{
    [Fact]
    public async Task Routed_messages_drops_by_reason_bytes_and_latency_are_measured()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        object scope = host.Services.GetRequiredService<IMeterFactory>();
        var counters = new ConcurrentDictionary<string, long>();
        int latencySamples = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this host's hub: other tests run hubs in parallel, each with its own IMeterFactory scope.
            if (instrument.Meter.Name == "Meowstik.Hub" && ReferenceEquals(instrument.Meter.Scope, scope)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name;
            foreach (KeyValuePair<string, object?> tag in tags) key += $"[{tag.Key}={tag.Value}]";
            counters.AddOrUpdate(key, value, (_, old) => old + value);
        });
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) =>
        {
            if (instrument.Name == "meowstik.hub.routing.latency") Interlocked.Increment(ref latencySamples);
        });
        listener.Start();

        MeshHub hub = host.Hub;
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        long routedBefore = counters.GetValueOrDefault("meowstik.hub.messages.routed");

        await creator.SendAsync("""{"id":"a","type":"command","to":"tv-001","payload":{"action":"power"}}""");
        await tv.ReceiveTypeAsync("command");
        await creator.SendAsync("""{"id":"b","type":"command","to":"toaster-9","payload":{"action":"power"}}""");
        await creator.ReceiveAsync(m => m.Str("correlation_id") == "b");
        await creator.SendAsync("not json");
        await creator.ReceiveAsync(m => m.ErrorCode() == "malformed_json");

        Assert.True(counters.GetValueOrDefault("meowstik.hub.messages.routed") > routedBefore);
        Assert.True(counters.GetValueOrDefault("meowstik.hub.messages.dropped[reason=unknown_device]") >= 1);
        Assert.True(counters.GetValueOrDefault("meowstik.hub.messages.dropped[reason=protocol_error]") >= 1);
        Assert.True(counters.GetValueOrDefault("meowstik.hub.bytes.received") > 0);
        Assert.True(latencySamples > 0);
        await Eventually.TrueAsync(() => counters.GetValueOrDefault("meowstik.hub.bytes.sent") > 0, "bytes sent were counted");

        long connected = -1;
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            if (instrument.Name == "meowstik.hub.devices.connected") connected = value;
        });
        listener.RecordObservableInstruments();
        Assert.Equal(2, connected);
        Assert.Equal(2, hub.ConnectedDeviceCount);
    }
}
