namespace Meowstik.Agent;

/// <summary>The snake_case names of <see cref="OutboxDropReason"/> used in metrics tags and log lines.</summary>
public static class OutboxDropReasons
{
    /// <summary>Returns the snake_case name of a drop reason.</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>The name, e.g. <c>outbox_full</c>.</returns>
    public static string GetName(OutboxDropReason reason) => reason switch
    {
        OutboxDropReason.OutboxFull => "outbox_full",
        OutboxDropReason.StreamOffline => "stream_offline",
        OutboxDropReason.StreamOverflow => "stream_overflow",
        OutboxDropReason.AgentStopped => "agent_stopped",
        _ => "unknown",
    };
}
