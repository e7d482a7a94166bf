using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// An <c>event</c> message: raised by a device (a broadcast such as <c>trip_started</c>) or by the hub itself
/// (<c>device_connected</c>, <c>device_offline</c>). Delivered to agents and to the hub's in-process subscribers alike.
/// </summary>
/// <param name="From">The device that raised it, as stamped by the hub, or <c>hub</c>.</param>
/// <param name="Name">The event name (<c>payload.event</c>); empty when absent.</param>
/// <param name="Payload">The whole payload (detached; safe to keep).</param>
/// <param name="Timestamp">When it happened (the message's timestamp).</param>
public sealed record MeshEvent(string From, string Name, JsonElement Payload, DateTimeOffset Timestamp)
{
    /// <summary><c>payload.data</c>; undefined when absent (the hub's own notices put their fields directly in the payload).</summary>
    public JsonElement Data =>
        Payload.ValueKind == JsonValueKind.Object && Payload.TryGetProperty("data", out JsonElement data) ? data : default;

    /// <summary>Builds an event from its payload, reading the name from <c>payload.event</c>.</summary>
    /// <param name="from">The sender as stamped by the hub.</param>
    /// <param name="payload">The whole payload (kept as given: clone it first when it belongs to a pooled document).</param>
    /// <param name="timestamp">The message's timestamp.</param>
    /// <returns>The event.</returns>
    public static MeshEvent FromPayload(string from, JsonElement payload, DateTimeOffset timestamp)
    {
        string name = payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("event", out JsonElement e) && e.ValueKind == JsonValueKind.String
            ? e.GetString() ?? string.Empty
            : string.Empty;
        return new MeshEvent(from, name, payload, timestamp);
    }
}
