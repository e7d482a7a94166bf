namespace Meowstik.Agent;

/// <summary>
/// Turns a millisecond count from the wire into a <see cref="TimeSpan"/> that can never throw: a peer controls the number,
/// and <c>TimeSpan.FromMilliseconds(1e18)</c> overflows (issue #8, finding 5: one query killed the session).
/// </summary>
internal static class WireDuration
{
    /// <summary>Null for 0 or less (absent); otherwise the value, clamped to <paramref name="max"/>.</summary>
    public static TimeSpan? Clamp(long milliseconds, TimeSpan max)
    {
        if (milliseconds <= 0)
        {
            return null;
        }

        // Compared as whole milliseconds, before any conversion that could overflow.
        long maxMs = (long)max.TotalMilliseconds;
        return milliseconds >= maxMs ? max : TimeSpan.FromMilliseconds(milliseconds);
    }
}
