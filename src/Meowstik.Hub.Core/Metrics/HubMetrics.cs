using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Meowstik.Hub.Core;

/// <summary>
/// The hub's instruments on the <c>Meowstik.Hub</c> meter: connected devices and connections (gauges), messages received and
/// routed, bytes in and out, drops by reason, and routing latency (receive complete → queued for every recipient).
/// </summary>
internal sealed class HubMetrics : IDisposable
{
    public const string MeterName = "Meowstik.Hub";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _received;
    private readonly Counter<long> _routed;
    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _streamGaps;
    private readonly Histogram<double> _latency;
    private readonly Counter<long> _slowConsumers;
    private readonly Counter<long> _sendersPaused;
    private readonly Counter<long> _refused;
    private long _dropCount;

    public HubMetrics(IMeterFactory? meterFactory, Func<int> connectedDevices, Func<int> connections)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableGauge("meowstik.hub.devices.connected", connectedDevices, "{device}", "Registered devices currently connected to this hub.");
        _meter.CreateObservableGauge("meowstik.hub.connections", connections, "{connection}", "Open WebSocket connections (registered or not).");
        _received = _meter.CreateCounter<long>("meowstik.hub.messages.received", "{message}", "Messages received from connections.");
        _routed = _meter.CreateCounter<long>("meowstik.hub.messages.routed", "{message}", "Message deliveries queued to a recipient (a broadcast counts once per recipient).");
        _bytesIn = _meter.CreateCounter<long>("meowstik.hub.bytes.received", "By", "Bytes received from connections.");
        _bytesOut = _meter.CreateCounter<long>("meowstik.hub.bytes.sent", "By", "Bytes sent to connections.");
        _dropped = _meter.CreateCounter<long>("meowstik.hub.messages.dropped", "{message}", "Messages not delivered, tagged by reason.");
        _streamGaps = _meter.CreateCounter<long>("meowstik.hub.streams.gaps", "{chunk}", "Stream chunks/frames missing by index (gaps seen by the hub).");
        _slowConsumers = _meter.CreateCounter<long>("meowstik.hub.slow_consumers", "{connection}", "Connections closed as slow consumers, tagged by the rule that fired (write_deadline, max_pending).");
        _sendersPaused = _meter.CreateCounter<long>("meowstik.hub.backpressure.pauses", "{pause}", "Times a sender's receive loop paused until the recipients it filled drained (flow control).");
        _refused = _meter.CreateCounter<long>("meowstik.hub.connections.refused", "{connection}", "Connections refused at accept or registration, tagged by the limit (max_connections, address_limit, unauthenticated_pool_full, unauthenticated_address_limit, token_limit).");
        _latency = _meter.CreateHistogram<double>("meowstik.hub.routing.latency", "ms", "Time from a message being received to being queued for its recipients.");
    }

    /// <summary>Total drops since start (all reasons).</summary>
    public long DropCount => Interlocked.Read(ref _dropCount);

    public void Received(int bytes)
    {
        _received.Add(1);
        _bytesIn.Add(bytes);
    }

    public void Routed(int recipients = 1) => _routed.Add(recipients);

    public void Sent(int bytes) => _bytesOut.Add(bytes);

    public void Dropped(DropReason reason, int count = 1)
    {
        Interlocked.Add(ref _dropCount, count);
        _dropped.Add(count, new KeyValuePair<string, object?>("reason", reason.ToName()));
    }

    public void SlowConsumer(string rule) => _slowConsumers.Add(1, new KeyValuePair<string, object?>("rule", rule));

    public void SenderPaused() => _sendersPaused.Add(1);

    public void ConnectionRefused(string limit) => _refused.Add(1, new KeyValuePair<string, object?>("limit", limit));

    public void StreamGap(long missing) => _streamGaps.Add(missing);

    public void RoutingLatency(long startTimestamp) =>
        _latency.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds);

    public void Dispose()
    {
        if (_ownsMeter) _meter.Dispose();
    }
}
