using System.Text.Json;

namespace Meowstik.Agent;

/// <summary>An <c>event</c> message the hub delivered to this agent (a broadcast, a hub notice like <c>device_connected</c>).</summary>
public sealed class MeshEventReceivedEventArgs : EventArgs
{
    /// <summary>Creates the event arguments.</summary>
    /// <param name="from">The sender as stamped by the hub.</param>
    /// <param name="payload">The whole payload.</param>
    public MeshEventReceivedEventArgs(string from, JsonElement payload)
    {
        From = from;
        Payload = payload;
        bool isObject = payload.ValueKind == JsonValueKind.Object;
        EventName = isObject && payload.TryGetProperty("event", out JsonElement name) && name.ValueKind == JsonValueKind.String
            ? name.GetString() ?? string.Empty
            : string.Empty;
        Data = isObject && payload.TryGetProperty("data", out JsonElement data) ? data : default;
    }

    /// <summary>The sender as stamped by the hub.</summary>
    public string From { get; }

    /// <summary><c>payload.event</c>; empty when absent.</summary>
    public string EventName { get; }

    /// <summary><c>payload.data</c>; undefined when absent (hub notices put their fields directly in the payload).</summary>
    public JsonElement Data { get; }

    /// <summary>The whole payload.</summary>
    public JsonElement Payload { get; }
}
