namespace Meowstik.Agent;

/// <summary>The hub rejected this agent's credentials; the agent is in <see cref="AgentState.AuthFailed"/>.</summary>
public sealed class MeshAuthenticationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">The hub's reason (error code and message, or close status and description).</param>
    public MeshAuthenticationException(string reason)
        : base("The hub rejected the agent's token: " + reason)
    {
        Reason = reason;
    }

    /// <summary>Creates the exception with a message of its own (the hosted service's, which names the device and the fix).</summary>
    internal MeshAuthenticationException(string reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>The hub's reason.</summary>
    public string Reason { get; }
}
