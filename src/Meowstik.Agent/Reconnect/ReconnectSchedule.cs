namespace Meowstik.Agent;

/// <summary>
/// Counts reconnect attempts for one agent and asks the policy for each delay. A connection that stayed
/// online for the stable threshold resets the count, so a long-lived agent that drops once starts small again.
/// </summary>
internal sealed class ReconnectSchedule
{
    private readonly IReconnectPolicy _policy;
    private readonly TimeSpan _stableThreshold;
    private readonly TimeProvider _time;
    private long? _onlineSince;

    public ReconnectSchedule(IReconnectPolicy policy, TimeSpan stableThreshold, TimeProvider time)
    {
        _policy = policy;
        _stableThreshold = stableThreshold;
        _time = time;
    }

    /// <summary>The number of consecutive failed or short-lived attempts so far.</summary>
    public int Attempt { get; private set; }

    /// <summary>Marks the moment the agent became online.</summary>
    public void OnOnline() => _onlineSince = _time.GetTimestamp();

    /// <summary>Records a drop or failed attempt and returns how long to wait before the next one.</summary>
    public TimeSpan OnDisconnected(Exception? lastError)
    {
        if (_onlineSince is long since && _time.GetElapsedTime(since) >= _stableThreshold)
        {
            Attempt = 0;
        }

        _onlineSince = null;
        Attempt++;
        TimeSpan delay = _policy.NextDelay(Attempt, lastError);
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }
}
