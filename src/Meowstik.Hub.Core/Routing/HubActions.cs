using System.Text;
using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Hub.Core;

/// <summary>
/// Requests addressed to the hub itself (<c>to: hub</c>, <c>command</c> or <c>query</c>), answered with a <c>response</c>
/// whose payload is <c>{"action": …, "result": …}</c>:
/// <list type="table">
/// <item><term><c>list_devices</c></term><description>every known device the sender may observe: id, type, name, online, since, capabilities.</description></item>
/// <item><term><c>get_device</c> <c>{device_id}</c></term><description>one device's registration and presence.</description></item>
/// <item><term><c>get_state</c> <c>{device_id}</c></term><description>plus last heartbeat, last response per action, last event per name.</description></item>
/// <item><term><c>get_capabilities</c> <c>{device_id}</c></term><description>the device's capabilities, with each capability's actions (<c>actions</c>) and the action kinds (<c>queries</c>, <c>commands</c>) when the device sent them.</description></item>
/// <item><term><c>subscribe_stream</c> / <c>unsubscribe_stream</c> <c>{device_id, stream_type}</c></term><description>receive (or stop) that device's stream chunks.</description></item>
/// </list>
/// Information about a device needs the <c>observe</c> permission on it (guests see nothing; family only permitted devices).
/// </summary>
internal sealed class HubActions
{
    private readonly AuthManager _auth;
    private readonly IStateStore _state;
    private readonly StreamManager _streams;
    private readonly MeshHubOptions _options;
    private readonly TimeProvider _time;
    private readonly DeliveryOutcomes _outcomes;

    public HubActions(AuthManager auth, IStateStore state, StreamManager streams, MeshHubOptions options, TimeProvider time, DeliveryOutcomes outcomes)
    {
        _auth = auth;
        _state = state;
        _streams = streams;
        _options = options;
        _time = time;
        _outcomes = outcomes;
    }

    public void Handle(MeshConnection sender, in MeshEnvelope envelope, ReadOnlySpan<byte> id, long start)
    {
        if (!CommandPayload.TryRead(envelope, out CommandPayload command, out ProtocolError error))
        {
            _outcomes.RejectProtocol(sender, envelope.Type, id, envelope.Length, error);
            return;
        }
        Span<byte> actionBuffer = stackalloc byte[64];
        ReadOnlySpan<byte> action = EnvelopeText.Copy(command.Action, actionBuffer);
        Span<byte> deviceBuffer = stackalloc byte[DeviceId.MaxLength];
        Span<byte> streamBuffer = stackalloc byte[64];
        string? deviceId = ToString(EnvelopeText.PayloadString(command.Params, "device_id"u8, deviceBuffer));
        string? streamType = ToString(EnvelopeText.PayloadString(command.Params, "stream_type"u8, streamBuffer));

        if (action.SequenceEqual("list_devices"u8))
        {
            Reply(sender, id, action, json => WriteDeviceList(json, sender));
        }
        else if (action.SequenceEqual("get_device"u8) || action.SequenceEqual("get_state"u8) || action.SequenceEqual("get_capabilities"u8))
        {
            if (!TryGetObservable(sender, envelope, id, deviceId, out DeviceState? state)) return;
            if (action.SequenceEqual("get_capabilities"u8))
            {
                Reply(sender, id, action, json =>
                {
                    json.WriteStartObject();
                    DeviceRegistration registration = state!.Registration;
                    json.WriteString("device_id"u8, state.DeviceId);
                    WriteStrings(json, "capabilities"u8, registration.Capabilities);
                    if (registration.Actions is { } actions)
                    {
                        json.WriteStartObject("actions"u8);
                        foreach (string capability in registration.Capabilities)
                        {
                            if (actions.TryGetValue(capability, out IReadOnlyList<string>? names)) WriteStrings(json, capability, names);
                        }
                        foreach (KeyValuePair<string, IReadOnlyList<string>> pair in actions)
                        {
                            if (!registration.Capabilities.Contains(pair.Key)) WriteStrings(json, pair.Key, pair.Value);
                        }
                        json.WriteEndObject();
                    }
                    if (registration.Queries is { } queries) WriteStrings(json, "queries"u8, queries);
                    if (registration.Commands is { } commands) WriteStrings(json, "commands"u8, commands);
                    json.WriteEndObject();
                });
            }
            else
            {
                bool full = action.SequenceEqual("get_state"u8);
                Reply(sender, id, action, json => WriteDevice(json, state!, full));
            }
        }
        else if (action.SequenceEqual("subscribe_stream"u8) || action.SequenceEqual("unsubscribe_stream"u8))
        {
            if (streamType is null)
            {
                Invalid(sender, envelope, id, "params.stream_type is required.", "params.stream_type");
                return;
            }
            if (!TryGetObservable(sender, envelope, id, deviceId, out _)) return;
            bool subscribe = action.SequenceEqual("subscribe_stream"u8);
            bool changed;
            if (subscribe)
            {
                SubscribeResult result = _streams.Subscribe(sender, deviceId!, streamType);
                if (result == SubscribeResult.LimitReached)
                {
                    _outcomes.Reject(sender, envelope.Type, id, DeviceId.Hub, envelope.Length, DropReason.Overloaded, MeshErrorCodes.Overloaded,
                        $"This connection holds {_options.MaxStreamSubscriptionsPerConnection} stream subscriptions; unsubscribe from one first.");
                    return;
                }
                changed = result == SubscribeResult.Added;
            }
            else
            {
                changed = _streams.Unsubscribe(sender, deviceId!, streamType);
            }
            Reply(sender, id, action, json =>
            {
                json.WriteStartObject();
                json.WriteString("device_id"u8, deviceId);
                json.WriteString("stream_type"u8, streamType);
                json.WriteBoolean("subscribed"u8, subscribe);
                json.WriteBoolean("changed"u8, changed);
                json.WriteEndObject();
            });
        }
        else
        {
            _outcomes.Reject(sender, envelope.Type, id, DeviceId.Hub, envelope.Length, DropReason.InvalidRequest, MeshErrorCodes.UnknownHubAction,
                "Unknown hub action. Known: list_devices, get_device, get_state, get_capabilities, subscribe_stream, unsubscribe_stream.", "payload.action");
            return;
        }
        _outcomes.Delivered(sender, envelope.Type, id, DeviceId.Hub, envelope.Length, start);
    }

    private bool TryGetObservable(MeshConnection sender, in MeshEnvelope envelope, ReadOnlySpan<byte> id, string? deviceId, out DeviceState? state)
    {
        state = null;
        if (deviceId is null)
        {
            Invalid(sender, envelope, id, "params.device_id is required.", "params.device_id");
            return false;
        }
        AuthDecision decision = _auth.Authorize(sender.Identity!, MeshAction.Observe, deviceId);
        if (!decision.IsAllowed)
        {
            _outcomes.Deny(sender, envelope.Type, id, deviceId, envelope.Length, decision);
            return false;
        }
        state = _state.Get(deviceId);
        if (state is null)
        {
            _outcomes.Reject(sender, envelope.Type, id, DeviceId.Hub, envelope.Length, DropReason.UnknownDevice, MeshErrorCodes.UnknownDevice,
                "The device is not known to the hub.", "params.device_id");
            return false;
        }
        return true;
    }

    private void Invalid(MeshConnection sender, in MeshEnvelope envelope, ReadOnlySpan<byte> id, string message, string field) =>
        _outcomes.Reject(sender, envelope.Type, id, DeviceId.Hub, envelope.Length, DropReason.InvalidRequest, MeshErrorCodes.InvalidRequest, message, field);

    private void Reply(MeshConnection sender, ReadOnlySpan<byte> correlationId, ReadOnlySpan<byte> action, Action<Utf8JsonWriter> writeResult)
    {
        OutboundFrame message = OutboundFrame.Rent();
        Utf8JsonWriter json = HubMessageEncoder.Begin(message, MessageType.Response, sender.DeviceIdUtf8, correlationId, _time.GetUtcNow());
        json.WriteStartObject();
        json.WriteString("action"u8, action);
        json.WritePropertyName("result"u8);
        writeResult(json);
        json.WriteEndObject();
        HubMessageEncoder.End();
        sender.SendAndRelease(message);
    }

    private void WriteDeviceList(Utf8JsonWriter json, MeshConnection sender)
    {
        json.WriteStartObject();
        json.WriteStartArray("devices"u8);
        // Guests observe nothing: no need to look. Others: summaries only (no stored payloads are copied or parsed).
        IReadOnlyList<DeviceState> devices = sender.Identity!.Role == MeshRole.Guest ? [] : _state.ListSummaries();
        foreach (DeviceState state in devices)
        {
            if (!_auth.Authorize(sender.Identity!, MeshAction.Observe, state.DeviceId).IsAllowed) continue;
            WriteDevice(json, state, full: false);
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private void WriteDevice(Utf8JsonWriter json, DeviceState state, bool full)
    {
        DeviceRegistration registration = state.Registration;
        json.WriteStartObject();
        json.WriteString("device_id"u8, registration.DeviceId);
        if (registration.DeviceType is not null) json.WriteString("device_type"u8, registration.DeviceType);
        if (registration.DeviceName is not null) json.WriteString("device_name"u8, registration.DeviceName);
        json.WriteString("role"u8, registration.Role);
        json.WriteBoolean("online"u8, state.IsOnline);
        json.WriteString("since"u8, state.Since);
        WriteStrings(json, "capabilities"u8, registration.Capabilities);
        WriteStrings(json, "features"u8, registration.Features);
        if (full)
        {
            json.WriteNumber("stream_subscribers"u8, _streams.SubscriberCount(registration.DeviceId));
            if (state.LastHeartbeat is { } heartbeat)
            {
                json.WritePropertyName("last_heartbeat"u8);
                WriteValue(json, heartbeat);
            }
            WriteValues(json, "last_responses"u8, state.LastResponses);
            WriteValues(json, "last_events"u8, state.LastEvents);
        }
        json.WriteEndObject();
    }

    private static void WriteValues(Utf8JsonWriter json, ReadOnlySpan<byte> name, IReadOnlyDictionary<string, StateValue> values)
    {
        json.WriteStartObject(name);
        foreach (KeyValuePair<string, StateValue> pair in values)
        {
            json.WritePropertyName(pair.Key);
            WriteValue(json, pair.Value);
        }
        json.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter json, StateValue value)
    {
        json.WriteStartObject();
        json.WriteString("at"u8, value.At);
        json.WritePropertyName("value"u8);
        if (value.Value.ValueKind == JsonValueKind.Undefined) json.WriteNullValue();
        else value.Value.WriteTo(json);
        json.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values) json.WriteStringValue(value);
        json.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter json, ReadOnlySpan<byte> name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values) json.WriteStringValue(value);
        json.WriteEndArray();
    }

    private static string? ToString(ReadOnlySpan<byte> utf8) => utf8.IsEmpty ? null : Encoding.UTF8.GetString(utf8);
}
