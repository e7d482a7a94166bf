namespace Meowstik.Agent;

/// <summary>
/// The agent's default reconnect backoff (configuration: <c>Meowstik:Agent:Reconnect</c>): exponential with full jitter,
/// attempt <c>n</c> waits a uniformly random time in <c>[0, min(MaxDelay, InitialDelay * 2^(n-1))]</c>. See
/// <see cref="ExponentialBackoffPolicy"/>; set <see cref="MeshAgentOptions.ReconnectPolicy"/> in code for another strategy.
/// </summary>
public sealed class MeshAgentReconnectOptions
{
    /// <summary>The ceiling of the first retry's delay. Default: 1 second.</summary>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The largest ceiling any retry can reach. Default: 60 seconds.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(60);
}
