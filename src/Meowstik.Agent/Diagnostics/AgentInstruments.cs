using System.Diagnostics.Metrics;

namespace Meowstik.Agent;

/// <summary>One agent's instruments. Each agent gets its own meter (tagged with its device id), so many agents
/// in one process report separately and a disposed agent stops reporting.</summary>
internal sealed class AgentInstruments : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly KeyValuePair<string, object?> _device;
    private readonly Counter<long> _reconnects;
    private readonly Counter<long> _received;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _commands;

    public AgentInstruments(string deviceId, Func<int> outboxDepth, IMeterFactory? meterFactory)
    {
        _device = new KeyValuePair<string, object?>("device_id", deviceId);
        var options = new MeterOptions(MeshAgentMetrics.MeterName) { Tags = [_device] };
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(options) ?? new Meter(options);
        _reconnects = _meter.CreateCounter<long>(MeshAgentMetrics.Reconnects, "{attempt}", "Reconnect attempts after a drop or failed connect.");
        _received = _meter.CreateCounter<long>(MeshAgentMetrics.MessagesReceived, "{message}", "Messages received from the hub.");
        _sent = _meter.CreateCounter<long>(MeshAgentMetrics.MessagesSent, "{message}", "Messages sent to the hub.");
        _rejected = _meter.CreateCounter<long>(MeshAgentMetrics.MessagesRejected, "{message}", "Inbound messages rejected as bad input.");
        _dropped = _meter.CreateCounter<long>(MeshAgentMetrics.OutboxDropped, "{message}", "Outgoing messages dropped.");
        _commands = _meter.CreateCounter<long>(MeshAgentMetrics.CommandsHandled, "{request}", "Commands and queries answered.");
        _meter.CreateObservableGauge(
            MeshAgentMetrics.OutboxDepth,
            () => new Measurement<int>(outboxDepth(), _device),
            "{message}",
            "Messages waiting in the outbox.");
    }

    public void Reconnect() => _reconnects.Add(1, _device);

    public void Received(string type) => _received.Add(1, _device, new("type", type));

    public void Sent(string type) => _sent.Add(1, _device, new("type", type));

    public void Rejected(string reason) => _rejected.Add(1, _device, new("reason", reason));

    public void Dropped(string reason) => _dropped.Add(1, _device, new("reason", reason));

    public void Command(string outcome) => _commands.Add(1, _device, new("outcome", outcome));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
