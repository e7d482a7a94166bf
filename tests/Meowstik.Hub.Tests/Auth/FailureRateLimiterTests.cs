using Meowstik.Hub.Core;

namespace Meowstik.Hub.Tests.Auth;

public sealed class FailureRateLimiterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_source_gets_exactly_its_budget_and_a_success_gives_its_attempt_back()
    {
        var limiter = new FailureRateLimiter(maxFailures: 3, TimeSpan.FromMinutes(15), maxSources: 10, globalMaxFailures: 100);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(limiter.TryReserve("a", T0, out _));
        }

        Assert.False(limiter.TryReserve("a", T0.AddMinutes(5), out TimeSpan retryAfter));
        Assert.Equal(TimeSpan.FromMinutes(10), retryAfter);

        limiter.Release("a", T0.AddMinutes(5));
        Assert.True(limiter.TryReserve("a", T0.AddMinutes(5), out _));
        Assert.False(limiter.TryReserve("a", T0.AddMinutes(5), out _));
        Assert.True(limiter.TryReserve("a", T0.AddMinutes(15)), "the window closed");
    }

    [Fact]
    public void Tracked_sources_stay_bounded_by_evicting_the_oldest()
    {
        var limiter = new FailureRateLimiter(maxFailures: 2, TimeSpan.FromMinutes(1), maxSources: 3, globalMaxFailures: 1_000);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(limiter.TryReserve("src" + i, T0.AddMilliseconds(i), out _));
            Assert.True(limiter.TrackedSources <= 3);
        }

        // The newest three are tracked: src9 has one attempt of two left.
        Assert.True(limiter.TryReserve("src9", T0.AddSeconds(1), out _));
        Assert.False(limiter.TryReserve("src9", T0.AddSeconds(1), out _));
        Assert.Equal(3, limiter.TrackedSources);
    }

    [Fact]
    public void Ten_thousand_sources_share_one_global_budget()
    {
        // Fresh addresses (an IPv6 /64, a botnet) each get a per-source budget, but all of them together get only the global one.
        var limiter = new FailureRateLimiter(maxFailures: 5, TimeSpan.FromMinutes(15), maxSources: 1_000, globalMaxFailures: 100);
        int allowed = 0;
        for (int i = 0; i < 10_000; i++)
        {
            if (limiter.TryReserve($"2001:db8::{i:x}", T0.AddMilliseconds(i), out TimeSpan retryAfter))
            {
                allowed++;
            }
            else
            {
                Assert.True(retryAfter > TimeSpan.Zero);
            }
        }

        Assert.Equal(100, allowed);
        Assert.True(limiter.TrackedSources <= 1_000);
        Assert.True(limiter.TryReserve("2001:db8::1", T0.AddMinutes(16), out _), "the global window closed");
    }

    [Fact]
    public void Concurrent_reservations_never_exceed_the_budget()
    {
        var limiter = new FailureRateLimiter(maxFailures: 5, TimeSpan.FromMinutes(15), maxSources: 10, globalMaxFailures: 100);
        int allowed = 0;
        Parallel.For(0, 1_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            if (limiter.TryReserve("one-address", T0, out _))
            {
                Interlocked.Increment(ref allowed);
            }
        });
        Assert.Equal(5, allowed);
    }
}

internal static class FailureRateLimiterExtensions
{
    public static bool TryReserve(this FailureRateLimiter limiter, string source, DateTimeOffset now) => limiter.TryReserve(source, now, out _);
}
