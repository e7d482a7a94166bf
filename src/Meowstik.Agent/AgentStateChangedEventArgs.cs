namespace Meowstik.Agent;

/// <summary>Describes a transition of <see cref="MeshAgent.State"/>.</summary>
public sealed class AgentStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the event arguments.</summary>
    /// <param name="previous">The state before the transition.</param>
    /// <param name="current">The state after the transition.</param>
    /// <param name="reason">Why the transition happened (a close reason, an error message), when known.</param>
    public AgentStateChangedEventArgs(AgentState previous, AgentState current, string? reason)
    {
        Previous = previous;
        Current = current;
        Reason = reason;
    }

    /// <summary>The state before the transition.</summary>
    public AgentState Previous { get; }

    /// <summary>The state after the transition.</summary>
    public AgentState Current { get; }

    /// <summary>Why the transition happened (a close reason, an error message), when known.</summary>
    public string? Reason { get; }
}
