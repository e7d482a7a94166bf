namespace Meowstik.Agent;

/// <summary>Why the agent dropped an outgoing message instead of delivering it. Each drop is counted
/// (<c>meowstik.agent.outbox.dropped</c>, tag <c>reason</c>) and logged.</summary>
public enum OutboxDropReason
{
    /// <summary>The outbox held <see cref="MeshAgentOptions.OutboxCapacity"/> responses/events; the oldest was dropped
    /// to make room for the new one. Wire/metric name: <c>outbox_full</c>.</summary>
    OutboxFull = 1,

    /// <summary>A stream chunk was produced while the agent was not online (or was queued when the connection
    /// dropped); streams are live data and are never queued for later. Wire/metric name: <c>stream_offline</c>.</summary>
    StreamOffline,

    /// <summary>The online stream lane held <see cref="MeshAgentOptions.StreamBufferCapacity"/> chunks; the oldest was
    /// dropped so the newest goes out first. Wire/metric name: <c>stream_overflow</c>.</summary>
    StreamOverflow,

    /// <summary>The agent was disposed with messages still queued. Wire/metric name: <c>agent_stopped</c>.</summary>
    AgentStopped,
}
