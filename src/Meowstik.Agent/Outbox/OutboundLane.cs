namespace Meowstik.Agent;

/// <summary>Which lane of the outbox a message travels in.</summary>
internal enum OutboundLane
{
    /// <summary>Responses, events, errors, queries: kept in order, queued while offline, drop-oldest when full.</summary>
    Reliable,

    /// <summary>Stream chunks: only accepted while online, never queued for a later connection.</summary>
    Stream,
}
