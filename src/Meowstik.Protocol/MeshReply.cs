using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>A successful answer (<c>type: response</c>) to a command or query, from an agent's request or the hub's host API.</summary>
/// <param name="From">The device that answered.</param>
/// <param name="MessageId">The response message's <c>id</c>, when given.</param>
/// <param name="CorrelationId">The request's <c>id</c>.</param>
/// <param name="Payload">The whole response payload (detached; safe to keep).</param>
/// <param name="Timestamp">The response's timestamp.</param>
public sealed record MeshReply(string From, string? MessageId, string CorrelationId, JsonElement Payload, DateTimeOffset Timestamp)
{
    /// <summary><c>payload.status</c> (for example <c>ok</c>), when given.</summary>
    public string? Status =>
        Payload.ValueKind == JsonValueKind.Object && Payload.TryGetProperty("status", out JsonElement s) && s.ValueKind == JsonValueKind.String
            ? s.GetString()
            : null;

    /// <summary><c>payload.result</c>; <see cref="JsonValueKind.Undefined"/> when absent.</summary>
    public JsonElement Result =>
        Payload.ValueKind == JsonValueKind.Object && Payload.TryGetProperty("result", out JsonElement r) ? r : default;
}
