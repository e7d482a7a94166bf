using Meowstik.Hub.Auth;

namespace Meowstik.Hub.Tests.Auth;

public sealed class FailureRateLimiterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Tracked_sources_stay_bounded_and_overflow_shares_one_bucket()
    {
        var limiter = new FailureRateLimiter(maxFailures: 2, TimeSpan.FromMinutes(1), maxSources: 3);
        for (int i = 0; i < 10; i++)
        {
            limiter.RecordFailure("src" + i, T0);
        }

        Assert.True(limiter.TrackedSources <= 4); // three sources plus the overflow bucket
        Assert.True(limiter.IsLimited("another-new-source", T0, out _), "the shared overflow bucket is exhausted");
        Assert.False(limiter.IsLimited("src0", T0, out _), "src0 has one failure of two");

        // Once the windows close they are pruned and new sources are tracked on their own again.
        limiter.RecordFailure("fresh", T0.AddMinutes(2));
        Assert.False(limiter.IsLimited("fresh", T0.AddMinutes(2), out _));
        Assert.Equal(1, limiter.TrackedSources);
    }
}
