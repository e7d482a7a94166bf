namespace Meowstik.Hub.Core;

/// <summary>A per-connection rate limit: <c>burst</c> tokens, refilled at <c>ratePerSecond</c>. Used by one receive loop only.</summary>
internal sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly double _ratePerTick;
    private readonly double _burst;
    private double _tokens;
    private long _last;

    public TokenBucket(TimeProvider time, double ratePerSecond, int burst)
    {
        _time = time;
        _ratePerTick = ratePerSecond / time.TimestampFrequency;
        _burst = burst;
        _tokens = burst;
        _last = time.GetTimestamp();
    }

    /// <summary>Takes one token; false when the bucket is empty.</summary>
    public bool TryTake()
    {
        long now = _time.GetTimestamp();
        _tokens = Math.Min(_burst, _tokens + (now - _last) * _ratePerTick);
        _last = now;
        if (_tokens < 1) return false;
        _tokens -= 1;
        return true;
    }
}
