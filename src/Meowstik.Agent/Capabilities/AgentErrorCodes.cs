namespace Meowstik.Agent.Capabilities;

/// <summary>The <c>code</c> values the agent puts in <c>error</c> messages it answers with.</summary>
public static class AgentErrorCodes
{
    /// <summary>No capability of this agent handles the requested action.</summary>
    public const string UnknownAction = "unknown_action";

    /// <summary>The handler threw; the message is generic so no internals leak to the mesh.</summary>
    public const string HandlerFailed = "handler_failed";

    /// <summary>The handler did not finish within <see cref="MeshAgentOptions.CommandTimeout"/>.</summary>
    public const string Timeout = "timeout";

    /// <summary>More than <see cref="MeshAgentOptions.MaxPendingCommands"/> requests were waiting; this one was refused.</summary>
    public const string Busy = "busy";

    /// <summary>The request's payload could not be read (for example, no <c>action</c>).</summary>
    public const string InvalidPayload = "invalid_payload";
}
