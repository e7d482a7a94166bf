using System.Text.Json;

namespace Meowstik.Agent;

/// <summary>One <c>command</c> or <c>query</c> handed to a capability.</summary>
public sealed class CommandContext
{
    /// <summary>Creates a context (the agent does this; tests of capabilities may too).</summary>
    /// <param name="kind">Command or query.</param>
    /// <param name="action">The requested action (<c>payload.action</c>).</param>
    /// <param name="messageId">The request's message id; the answer carries it as <c>correlation_id</c>.</param>
    /// <param name="from">The requesting device id as stamped by the hub.</param>
    /// <param name="parameters">The <c>payload.params</c> value; undefined when absent.</param>
    /// <param name="payload">The whole payload (for fields beyond <c>action</c> and <c>params</c>, e.g. <c>target</c>).</param>
    /// <param name="publisher">The agent's publisher, for events, streams and requests made while handling.</param>
    public CommandContext(CommandKind kind, string action, string messageId, string from, JsonElement parameters, JsonElement payload, IMeshPublisher publisher)
    {
        ArgumentException.ThrowIfNullOrEmpty(action);
        ArgumentNullException.ThrowIfNull(messageId);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(publisher);
        Kind = kind;
        Action = action;
        MessageId = messageId;
        From = from;
        Params = parameters;
        Payload = payload;
        Publisher = publisher;
    }

    /// <summary>Command or query.</summary>
    public CommandKind Kind { get; }

    /// <summary>The requested action.</summary>
    public string Action { get; }

    /// <summary>The request's message id (echoed as <c>correlation_id</c> in the answer).</summary>
    public string MessageId { get; }

    /// <summary>The requesting device id (as stamped by the hub, never trusted from the client).</summary>
    public string From { get; }

    /// <summary>The <c>payload.params</c> value; <see cref="JsonValueKind.Undefined"/> when absent.</summary>
    public JsonElement Params { get; }

    /// <summary>The whole request payload.</summary>
    public JsonElement Payload { get; }

    /// <summary>Publishes events/streams and sends requests on behalf of this agent.</summary>
    public IMeshPublisher Publisher { get; }

    /// <summary>Reads a parameter by name.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="value">The value when present.</param>
    /// <returns>True when <c>params</c> is an object with that property.</returns>
    public bool TryGetParam(string name, out JsonElement value)
    {
        if (Params.ValueKind == JsonValueKind.Object && Params.TryGetProperty(name, out value))
        {
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>Reads a string parameter, or <paramref name="fallback"/> when absent or not a string.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="fallback">The value when the parameter is missing.</param>
    /// <returns>The value.</returns>
    public string? GetString(string name, string? fallback = null) =>
        TryGetParam(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : fallback;

    /// <summary>Reads a number parameter, or <paramref name="fallback"/> when absent or not a number.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="fallback">The value when the parameter is missing.</param>
    /// <returns>The value.</returns>
    public double GetDouble(string name, double fallback = 0) =>
        TryGetParam(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;
}
