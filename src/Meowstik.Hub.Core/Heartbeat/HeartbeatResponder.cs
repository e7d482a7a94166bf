using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Hub.Core;

/// <summary>
/// A device's <c>heartbeat</c>: authorized like every message (an expired or revoked token must not keep a session alive),
/// its figures kept as last-known state, and, when <see cref="MeshHubOptions.EchoHeartbeats"/>, answered with the hub's own
/// (uptime, memory) carrying the heartbeat's id as <c>correlation_id</c>. Liveness itself is any traffic, recorded by the connection.
/// </summary>
internal sealed class HeartbeatResponder
{
    private readonly AuthManager _auth;
    private readonly IStateStore _state;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _startedAt;
    private readonly MeshHubOptions _options;
    private readonly DeliveryOutcomes _outcomes;

    public HeartbeatResponder(AuthManager auth, IStateStore state, TimeProvider time, DateTimeOffset startedAt, MeshHubOptions options, DeliveryOutcomes outcomes)
    {
        _auth = auth;
        _state = state;
        _time = time;
        _startedAt = startedAt;
        _options = options;
        _outcomes = outcomes;
    }

    public void Handle(MeshConnection sender, in MeshEnvelope envelope, ReadOnlySpan<byte> id, long start)
    {
        DateTimeOffset now = _time.GetUtcNow();
        AuthDecision decision = _auth.Authorize(sender.Identity!, MeshAction.Heartbeat, DeviceId.Hub);
        if (!decision.IsAllowed)
        {
            _outcomes.Deny(sender, MessageType.Heartbeat, id, default, envelope.Length, decision);
            return;
        }
        if (envelope.HasPayload && !HeartbeatPayload.TryRead(envelope.Payload, out _, out ProtocolError error))
        {
            _outcomes.RejectProtocol(sender, MessageType.Heartbeat, id, envelope.Length, error);
            return;
        }
        if (sender.KeepsState) _state.SetHeartbeat(sender.DeviceId, envelope.Payload, now);
        _outcomes.Delivered(sender, MessageType.Heartbeat, id, DeviceId.Hub, envelope.Length, start);
        if (!_options.EchoHeartbeats) return;
        OutboundFrame reply = OutboundFrame.Rent();
        Utf8JsonWriter json = HubMessageEncoder.Begin(reply, MessageType.Heartbeat, sender.DeviceIdUtf8, id, now);
        HeartbeatPayload.Write(json, new HeartbeatPayload((long)(now - _startedAt).TotalSeconds, GC.GetTotalMemory(false) / (1024.0 * 1024.0), 0));
        HubMessageEncoder.End();
        sender.SendAndRelease(reply);
    }
}
