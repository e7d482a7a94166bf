namespace Meowstik.Hub.Core;

/// <summary>Counts protocol violations in a fixed window; says when a connection has exceeded its allowance.</summary>
internal sealed class ViolationCounter
{
    private readonly TimeProvider _time;
    private readonly long _window;
    private readonly int _max;
    private long _windowStart;
    private int _count;

    public ViolationCounter(TimeProvider time, TimeSpan window, int max)
    {
        _time = time;
        _window = (long)(window.TotalSeconds * time.TimestampFrequency);
        _max = max;
        _windowStart = time.GetTimestamp();
    }

    /// <summary>Violations counted in the current window.</summary>
    public int Count => _count;

    /// <summary>Records one violation; true when the allowance is exceeded (the connection should close).</summary>
    public bool Record()
    {
        long now = _time.GetTimestamp();
        if (now - _windowStart > _window)
        {
            _windowStart = now;
            _count = 0;
        }
        return ++_count > _max;
    }
}
