namespace Meowstik.Agent;

/// <summary>
/// Exponential backoff with full jitter: attempt <c>n</c> waits a uniformly random time in
/// <c>[0, min(MaxDelay, InitialDelay * 2^(n-1))]</c>. The jitter spreads a crowd of agents that lost the
/// same hub, so a restarted hub is not hit by all of them at once.
/// </summary>
public sealed class ExponentialBackoffPolicy : IReconnectPolicy
{
    private readonly Random _random;
    private readonly Lock _randomLock = new();

    /// <summary>Creates the policy with <see cref="Random.Shared"/> as the jitter source.</summary>
    public ExponentialBackoffPolicy()
        : this(Random.Shared)
    {
    }

    /// <summary>Creates the policy with a given jitter source (a seeded <see cref="Random"/> in tests).</summary>
    /// <param name="random">The jitter source.</param>
    public ExponentialBackoffPolicy(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        _random = random;
    }

    /// <summary>The ceiling of the first retry's delay. Default: 1 second.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The largest ceiling any retry can reach. Default: 60 seconds.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Returns the jitter-free ceiling for an attempt: <c>min(MaxDelay, InitialDelay * 2^(attempt-1))</c>.</summary>
    /// <param name="attempt">The 1-based attempt number.</param>
    /// <returns>The upper bound of the delay for that attempt.</returns>
    public TimeSpan Ceiling(int attempt)
    {
        if (attempt < 1)
        {
            attempt = 1;
        }

        // 2^30 seconds is far beyond any sane cap; clamping the exponent keeps the arithmetic finite.
        double factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        double ticks = Math.Min(InitialDelay.Ticks * factor, MaxDelay.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <inheritdoc />
    public TimeSpan NextDelay(int attempt, Exception? lastError)
    {
        TimeSpan ceiling = Ceiling(attempt);
        double sample;
        lock (_randomLock)
        {
            sample = _random.NextDouble();
        }

        return TimeSpan.FromTicks((long)(ceiling.Ticks * sample));
    }
}
