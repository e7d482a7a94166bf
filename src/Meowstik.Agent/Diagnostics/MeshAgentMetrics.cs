namespace Meowstik.Agent;

/// <summary>The names of the agent's <see cref="System.Diagnostics.Metrics"/> meter and instruments.
/// Every instrument carries the tag <c>device_id</c>.</summary>
public static class MeshAgentMetrics
{
    /// <summary>The meter name: <c>Meowstik.Agent</c>.</summary>
    public const string MeterName = "Meowstik.Agent";

    /// <summary>Counter: reconnect attempts after a drop or failed connect.</summary>
    public const string Reconnects = "meowstik.agent.reconnects";

    /// <summary>Counter: messages received from the hub (tag <c>type</c>).</summary>
    public const string MessagesReceived = "meowstik.agent.messages.received";

    /// <summary>Counter: messages sent to the hub (tag <c>type</c>).</summary>
    public const string MessagesSent = "meowstik.agent.messages.sent";

    /// <summary>Counter: inbound messages rejected as bad input (tag <c>reason</c>: a protocol error code).</summary>
    public const string MessagesRejected = "meowstik.agent.messages.rejected";

    /// <summary>Counter: outgoing messages dropped (tag <c>reason</c>: outbox_full, stream_offline, stream_overflow, agent_stopped).</summary>
    public const string OutboxDropped = "meowstik.agent.outbox.dropped";

    /// <summary>Gauge: messages waiting in the outbox.</summary>
    public const string OutboxDepth = "meowstik.agent.outbox.depth";

    /// <summary>Counter: commands/queries answered (tag <c>outcome</c>: ok or an error code).</summary>
    public const string CommandsHandled = "meowstik.agent.commands.handled";
}
