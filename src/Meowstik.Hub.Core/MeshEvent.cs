using System.Text.Json;

namespace Meowstik.Hub;

/// <summary>An event seen by the hub: from a device (<c>type: event</c>) or the hub's own (<c>device_connected</c>, <c>device_offline</c>).</summary>
/// <param name="From">The device that raised it, or <c>hub</c>.</param>
/// <param name="Name">The event name (<c>payload.event</c>).</param>
/// <param name="Payload">The whole payload (detached; safe to keep).</param>
/// <param name="Timestamp">When it happened (the message's timestamp).</param>
public sealed record MeshEvent(string From, string Name, JsonElement Payload, DateTimeOffset Timestamp);
