namespace Meowstik.Agent.Gps;

/// <summary>Exponential reconnect delays with jitter: attempt n waits a random time in [d/2, d], d = min(max, initial·2ⁿ).</summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan max)
{
    private int _attempt;

    public TimeSpan Next()
    {
        double d = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, Math.Min(_attempt, 30)));
        _attempt++;
        return TimeSpan.FromMilliseconds(d / 2 + Random.Shared.NextDouble() * d / 2);
    }

    public void Reset() => _attempt = 0;
}
