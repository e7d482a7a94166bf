namespace Meowstik.Agent;

/// <summary>The connection state of a <see cref="MeshAgent"/>.</summary>
public enum AgentState
{
    /// <summary>Not connected; the agent is waiting out a reconnect delay or has not started yet.</summary>
    Disconnected = 0,

    /// <summary>Opening the WebSocket to the hub.</summary>
    Connecting,

    /// <summary>Connected; the <c>register</c> message was sent and the agent waits for <c>registered</c>.</summary>
    Registering,

    /// <summary>Registered with the hub: commands are served, heartbeats flow and the outbox drains.</summary>
    Online,

    /// <summary><see cref="MeshAgent.RunAsync"/> has ended (cancelled or disposed); the agent will not reconnect.</summary>
    Stopped,

    /// <summary>The hub rejected the token; the agent does not retry in a loop (see <see cref="MeshAgentOptions.AuthFailureRetryDelay"/>).</summary>
    AuthFailed,
}
