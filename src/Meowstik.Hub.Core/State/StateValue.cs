using System.Text.Json;

namespace Meowstik.Hub.Core;

/// <summary>A last-known value: the JSON payload a device sent and when the hub received it.</summary>
/// <param name="At">When the hub received it.</param>
/// <param name="Value">The payload (a detached <see cref="JsonElement"/>; safe to keep).</param>
public sealed record StateValue(DateTimeOffset At, JsonElement Value);
