using System.Buffers;
using System.Text;
using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Hub.Core;

/// <summary>
/// Events and broadcasts: a device's <c>event</c> goes to the hub (kept as last-known state and published to in-process
/// subscribers), to one device, or to every connection allowed to observe the sender; the hub's own presence events
/// (<c>device_connected</c>/<c>device_offline</c>) and the host's broadcasts go out from here too. Runs inline and never waits.
/// </summary>
internal sealed class EventRouter
{
    private readonly DeviceRegistry _registry;
    private readonly AuthManager _auth;
    private readonly IStateStore _state;
    private readonly EventFeed _feed;
    private readonly TimeProvider _time;
    private readonly HubMetrics _metrics;
    private readonly DeliveryOutcomes _outcomes;
    private readonly EnvelopeStamper _stamper;

    public EventRouter(
        DeviceRegistry registry, AuthManager auth, IStateStore state, EventFeed feed, TimeProvider time, HubMetrics metrics,
        DeliveryOutcomes outcomes, EnvelopeStamper stamper)
    {
        _registry = registry;
        _auth = auth;
        _state = state;
        _feed = feed;
        _time = time;
        _metrics = metrics;
        _outcomes = outcomes;
        _stamper = stamper;
    }

    /// <summary>Routes a device's <c>event</c>.</summary>
    public void RouteEvent(MeshConnection sender, in MeshEnvelope envelope, in ReadOnlySequence<byte> raw, ReadOnlySpan<byte> id, long start)
    {
        DateTimeOffset now = _time.GetUtcNow();
        Span<byte> nameBuffer = stackalloc byte[128];
        Span<char> nameChars = stackalloc char[128];
        ReadOnlySpan<char> name = EnvelopeText.ToChars(EnvelopeText.PayloadString(envelope.Payload, "event"u8, nameBuffer), nameChars);
        Span<char> targetBuffer = stackalloc char[DeviceId.MaxLength];
        ReadOnlySpan<char> target = envelope.IsToHub ? default : envelope.IsBroadcast ? "*" : EnvelopeText.DeviceId(envelope.To, targetBuffer);
        AuthDecision decision = _auth.Authorize(sender.Identity!, MeshAction.Event, target);
        if (!decision.IsAllowed)
        {
            _outcomes.Deny(sender, envelope.Type, id, target, envelope.Length, decision);
            return;
        }

        MeshConnection? recipient = null;
        if (!envelope.IsToHub && !envelope.IsBroadcast)
        {
            if (!_registry.TryGet(target, out recipient) || recipient.IsClosing)
            {
                _outcomes.TargetMissing(sender, envelope, raw, id, target, start);
                return;
            }
        }

        if (sender.KeepsState) _state.SetEvent(sender.DeviceId, name, envelope.Payload, now);
        _feed.Publish(sender.DeviceId, name, envelope.Payload, envelope.TimestampValue ?? now);
        if (envelope.IsToHub)
        {
            _outcomes.Delivered(sender, envelope.Type, id, DeviceId.Hub, envelope.Length, start);
            return;
        }
        Span<byte> finalId = stackalloc byte[EnvelopeText.MaxIdBytes];
        OutboundFrame message = _stamper.Stamp(sender, envelope, raw, id, default, finalId, out int finalIdLength);
        if (recipient is not null)
        {
            EnqueueResult queued = recipient.SendAndRelease(message);
            if (queued == EnqueueResult.Queued) _outcomes.Delivered(sender, envelope.Type, finalId[..finalIdLength], recipient.DeviceId, envelope.Length, start);
            else _outcomes.Reject(sender, envelope.Type, id, recipient.DeviceId, envelope.Length, DropReason.DeviceOffline, MeshErrorCodes.DeviceOffline, "The target device went offline.");
            return;
        }
        int delivered = ToObservers(sender, message);
        message.Release();
        _outcomes.Delivered(sender, envelope.Type, finalId[..finalIdLength], DeviceId.Broadcast, envelope.Length, start, delivered);
    }

    /// <summary>Announces <c>device_connected</c>/<c>device_offline</c> to every device allowed to observe <paramref name="device"/>, and to host subscribers.</summary>
    public void AnnouncePresence(MeshConnection device, ReadOnlySpan<byte> eventName, DateTimeOffset now)
    {
        OutboundFrame message = OutboundFrame.Rent();
        Utf8JsonWriter json = HubMessageEncoder.Begin(message, MessageType.Event, DeviceId.BroadcastUtf8, default, now);
        WritePresencePayload(json, device, eventName);
        HubMessageEncoder.End();
        int delivered = 0;
        foreach (MeshConnection recipient in _registry.Snapshot)
        {
            if (ReferenceEquals(recipient, device) || recipient.IsClosing || recipient.Identity is null) continue;
            if (!_auth.Authorize(recipient.Identity, MeshAction.Observe, device.DeviceId).IsAllowed) continue;
            if (recipient.Send(message) == EnqueueResult.Queued) delivered++;
        }
        _metrics.Routed(delivered);
        if (_feed.HasSubscribers)
        {
            var payload = new ArrayBufferWriter<byte>(256);
            using (var writer = new Utf8JsonWriter(payload)) WritePresencePayload(writer, device, eventName);
            using JsonDocument document = JsonDocument.Parse(payload.WrittenMemory);
            _feed.Publish(new MeshEvent(DeviceId.Hub, Encoding.UTF8.GetString(eventName), document.RootElement.Clone(), now));
        }
        message.Release();
    }

    /// <summary>
    /// Broadcasts a message from the host to every registered device and creator client; returns the number of recipients.
    /// Family and guest connections are people's clients, not devices: broadcasts never reach them.
    /// </summary>
    public int BroadcastFromHost(MessageType type, ReadOnlySpan<byte> payload)
    {
        OutboundFrame message = OutboundFrame.Rent();
        var header = new EnvelopeHeader(type) { From = DeviceId.HubUtf8, To = DeviceId.BroadcastUtf8, Timestamp = _time.GetUtcNow() };
        HubMessageEncoder.Write(message, header, payload);
        int delivered = 0;
        foreach (MeshConnection recipient in _registry.Snapshot)
        {
            if (recipient.IsClosing || !recipient.ReceivesBroadcasts) continue;
            if (recipient.Send(message) == EnqueueResult.Queued) delivered++;
        }
        message.Release();
        _metrics.Routed(delivered);
        return delivered;
    }

    // Queues a broadcast event to every connection but the sender that may observe the sender; returns how many.
    private int ToObservers(MeshConnection sender, OutboundFrame message)
    {
        int delivered = 0;
        foreach (MeshConnection recipient in _registry.Snapshot)
        {
            if (ReferenceEquals(recipient, sender) || recipient.IsClosing || recipient.Identity is null) continue;
            if (!_auth.Authorize(recipient.Identity, MeshAction.Observe, sender.DeviceId).IsAllowed) continue;
            if (recipient.Send(message) == EnqueueResult.Queued) delivered++;
        }
        return delivered;
    }

    private static void WritePresencePayload(Utf8JsonWriter json, MeshConnection device, ReadOnlySpan<byte> eventName)
    {
        json.WriteStartObject();
        json.WriteString("event"u8, eventName);
        json.WriteString("device_id"u8, device.DeviceIdUtf8);
        if (device.Registration?.DeviceName is { } name) json.WriteString("device_name"u8, name);
        if (device.Registration?.DeviceType is { } type) json.WriteString("device_type"u8, type);
        if (device.Registration is { } registration)
        {
            json.WriteStartArray("capabilities"u8);
            foreach (string capability in registration.Capabilities) json.WriteStringValue(capability);
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }
}
