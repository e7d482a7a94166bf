using System.Text.Json;

namespace Meowstik.Hub;

/// <summary>The answer a device gave to a command or query sent through <see cref="MeshHub.SendCommandAsync(string, string, JsonElement?, TimeSpan?, CancellationToken)"/>.</summary>
/// <param name="From">The device that answered.</param>
/// <param name="MessageId">The response message's <c>id</c>.</param>
/// <param name="CorrelationId">The request's <c>id</c>.</param>
/// <param name="Payload">The response payload (detached; safe to keep).</param>
/// <param name="Timestamp">The response's timestamp.</param>
public sealed record MeshResponse(string From, string? MessageId, string CorrelationId, JsonElement Payload, DateTimeOffset Timestamp);
