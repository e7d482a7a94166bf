namespace Meowstik.Hub.Auth;

/// <summary>
/// Counts failures per source in a fixed window that opens at the source's first failure. Once a source reaches the limit
/// it is refused until its window closes. Memory is bounded: past <c>maxSources</c>, closed windows are pruned and any
/// further new source shares one overflow bucket.
/// </summary>
internal sealed class FailureRateLimiter
{
    private const string OverflowKey = "\0overflow";

    private readonly int _maxFailures;
    private readonly TimeSpan _window;
    private readonly int _maxSources;
    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public FailureRateLimiter(int maxFailures, TimeSpan window, int maxSources)
    {
        _maxFailures = maxFailures;
        _window = window;
        _maxSources = maxSources;
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

    /// <summary>True when <paramref name="source"/> is refused now; <paramref name="retryAfter"/> says for how long.</summary>
    public bool IsLimited(string source, DateTimeOffset now, out TimeSpan retryAfter)
    {
        lock (_lock)
        {
            if (Find(source, out Window window) && now < window.Start + _window && window.Failures >= _maxFailures)
            {
                retryAfter = window.Start + _window - now;
                return true;
            }
        }

        retryAfter = TimeSpan.Zero;
        return false;
    }

    /// <summary>Counts one failure for <paramref name="source"/>.</summary>
    public void RecordFailure(string source, DateTimeOffset now)
    {
        lock (_lock)
        {
            string key = source;
            if (!_windows.ContainsKey(key) && _windows.Count >= _maxSources)
            {
                Prune(now);
                if (_windows.Count >= _maxSources)
                {
                    key = OverflowKey;
                }
            }

            _windows[key] = _windows.TryGetValue(key, out Window window) && now < window.Start + _window
                ? window with { Failures = window.Failures + 1 }
                : new Window(now, 1);
        }
    }

    private bool Find(string source, out Window window) =>
        _windows.TryGetValue(source, out window) ||
        (_windows.Count >= _maxSources && _windows.TryGetValue(OverflowKey, out window));

    private void Prune(DateTimeOffset now)
    {
        foreach ((string key, Window window) in _windows)
        {
            if (now >= window.Start + _window)
            {
                _windows.Remove(key);
            }
        }
    }

    private readonly record struct Window(DateTimeOffset Start, int Failures);
}
