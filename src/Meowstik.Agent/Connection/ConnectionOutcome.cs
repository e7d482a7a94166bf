namespace Meowstik.Agent;

/// <summary>How one connection attempt ended.</summary>
/// <param name="WasOnline">Whether registration succeeded before the end.</param>
/// <param name="AuthRejected">Whether the hub rejected the credentials (no fast retry).</param>
/// <param name="Reason">A readable reason for logs and <see cref="MeshAgent.StateReason"/>.</param>
/// <param name="Error">The exception that ended it, when there was one.</param>
internal readonly record struct ConnectionOutcome(bool WasOnline, bool AuthRejected, string Reason, Exception? Error);
