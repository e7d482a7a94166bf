namespace Meowstik.Hub.Core;

/// <summary>
/// Budgets failed attempts per source and in total, each in a fixed window that opens at the first attempt counted in it.
/// An attempt is reserved (checked and counted in one atomic step) before the expensive work, so concurrent guesses cannot
/// all pass the check before any is counted; an attempt that succeeds gives its reservation back.
/// </summary>
/// <remarks>
/// Memory is bounded: at most <c>maxSources</c> sources are tracked. When a new source arrives and the table is full,
/// closed windows are dropped first, then the source whose window opened first is evicted. Eviction can hand an old source
/// a fresh budget, which is why the global budget exists: every reservation from every source also counts against
/// <c>globalMaxFailures</c>, so rotating addresses (10 000 IPv6 addresses, a botnet) buys no more than that many attempts per
/// window in total. While the global budget is used up every source is refused, legitimate ones included; tokens already
/// issued keep working.
/// </remarks>
internal sealed class FailureRateLimiter
{
    private readonly int _maxFailures;
    private readonly TimeSpan _window;
    private readonly int _maxSources;
    private readonly int _globalMaxFailures;
    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private Window _global;

    public FailureRateLimiter(int maxFailures, TimeSpan window, int maxSources, int globalMaxFailures)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFailures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSources, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(globalMaxFailures, 1);
        _maxFailures = maxFailures;
        _window = window;
        _maxSources = maxSources;
        _globalMaxFailures = globalMaxFailures;
    }

    public int TrackedSources
    {
        get
        {
            lock (_lock)
            {
                return _windows.Count;
            }
        }
    }

    /// <summary>
    /// Reserves one attempt for <paramref name="source"/>. False when the source's or the global budget is used up;
    /// <paramref name="retryAfter"/> then says when the budget that refused it reopens.
    /// </summary>
    public bool TryReserve(string source, DateTimeOffset now, out TimeSpan retryAfter)
    {
        lock (_lock)
        {
            Window global = Current(_global, now);
            if (global.Failures >= _globalMaxFailures)
            {
                retryAfter = global.Start + _window - now;
                return false;
            }

            bool tracked = _windows.TryGetValue(source, out Window window);
            window = tracked ? Current(window, now) : new Window(now, 0);
            if (window.Failures >= _maxFailures)
            {
                retryAfter = window.Start + _window - now;
                return false;
            }

            if (!tracked)
            {
                MakeRoom(now);
            }

            _windows[source] = window with { Failures = window.Failures + 1 };
            _global = global with { Failures = global.Failures + 1 };
        }

        retryAfter = TimeSpan.Zero;
        return true;
    }

    /// <summary>Returns a reservation whose attempt succeeded (or never ran): it is not a failure.</summary>
    public void Release(string source, DateTimeOffset now)
    {
        lock (_lock)
        {
            if (_windows.TryGetValue(source, out Window window) && now < window.Start + _window && window.Failures > 0)
            {
                _windows[source] = window with { Failures = window.Failures - 1 };
            }

            if (now < _global.Start + _window && _global.Failures > 0)
            {
                _global = _global with { Failures = _global.Failures - 1 };
            }
        }
    }

    // A window past its end starts over at now.
    private Window Current(Window window, DateTimeOffset now) =>
        now < window.Start + _window ? window : new Window(now, 0);

    private void MakeRoom(DateTimeOffset now)
    {
        if (_windows.Count < _maxSources)
        {
            return;
        }

        string? oldest = null;
        DateTimeOffset oldestStart = DateTimeOffset.MaxValue;
        foreach ((string key, Window window) in _windows)
        {
            if (now >= window.Start + _window)
            {
                _windows.Remove(key);
            }
            else if (window.Start < oldestStart)
            {
                (oldest, oldestStart) = (key, window.Start);
            }
        }

        if (_windows.Count >= _maxSources && oldest is not null)
        {
            _windows.Remove(oldest);
        }
    }

    private readonly record struct Window(DateTimeOffset Start, int Failures);
}
