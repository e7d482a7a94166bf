namespace Meowstik.Agent;

/// <summary>
/// Decides how long the agent waits before reconnecting. The seam for custom strategies;
/// the default is <see cref="ExponentialBackoffPolicy"/>.
/// </summary>
public interface IReconnectPolicy
{
    /// <summary>Returns the delay before reconnect attempt <paramref name="attempt"/>.</summary>
    /// <param name="attempt">1 for the first retry after a drop; grows with each failed attempt and starts
    /// again at 1 after a connection stayed up for <see cref="MeshAgentOptions.StableConnectionThreshold"/>.</param>
    /// <param name="lastError">The error that ended the previous attempt, when there was one.</param>
    /// <returns>The delay to wait; <see cref="TimeSpan.Zero"/> reconnects at once.</returns>
    TimeSpan NextDelay(int attempt, Exception? lastError);
}
