using Meowstik.Agent;

namespace Meowstik.Agent.Tests.Reconnect;

public class ExponentialBackoffPolicyTests
{
    [Fact]
    public void Defaults_are_one_second_initial_and_sixty_second_cap()
    {
        var policy = new ExponentialBackoffPolicy();
        Assert.Equal(TimeSpan.FromSeconds(1), policy.InitialDelay);
        Assert.Equal(TimeSpan.FromSeconds(60), policy.MaxDelay);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(6, 32)]
    [InlineData(7, 60)]
    [InlineData(50, 60)]
    [InlineData(int.MaxValue, 60)]
    public void Ceiling_doubles_per_attempt_up_to_the_cap(int attempt, int expectedSeconds)
    {
        var policy = new ExponentialBackoffPolicy();
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), policy.Ceiling(attempt));
    }

    [Fact]
    public void Delays_are_full_jitter_within_zero_and_the_ceiling()
    {
        var policy = new ExponentialBackoffPolicy(new Random(42));
        for (int attempt = 1; attempt <= 10; attempt++)
        {
            var seen = new HashSet<TimeSpan>();
            for (int i = 0; i < 200; i++)
            {
                TimeSpan delay = policy.NextDelay(attempt, null);
                Assert.InRange(delay, TimeSpan.Zero, policy.Ceiling(attempt));
                seen.Add(delay);
            }

            // Jittered: 200 draws spread over many distinct values, not one fixed delay.
            Assert.True(seen.Count > 150, $"attempt {attempt}: only {seen.Count} distinct delays");
        }
    }

    [Fact]
    public void Jitter_uses_the_whole_range_so_a_crowd_spreads_out()
    {
        var policy = new ExponentialBackoffPolicy(new Random(7));
        TimeSpan ceiling = policy.Ceiling(6);
        var delays = Enumerable.Range(0, 2000).Select(_ => policy.NextDelay(6, null)).ToList();
        Assert.Contains(delays, d => d < ceiling * 0.1);
        Assert.Contains(delays, d => d > ceiling * 0.9);
        double meanFraction = delays.Average(d => d / ceiling);
        Assert.InRange(meanFraction, 0.45, 0.55);
    }

    [Fact]
    public void Same_seed_gives_the_same_delays_and_they_grow_on_average()
    {
        var a = new ExponentialBackoffPolicy(new Random(123));
        var b = new ExponentialBackoffPolicy(new Random(123));
        for (int attempt = 1; attempt <= 8; attempt++)
        {
            Assert.Equal(a.NextDelay(attempt, null), b.NextDelay(attempt, null));
        }

        var policy = new ExponentialBackoffPolicy(new Random(5));
        double early = Enumerable.Range(0, 500).Average(_ => policy.NextDelay(1, null).TotalMilliseconds);
        double later = Enumerable.Range(0, 500).Average(_ => policy.NextDelay(5, null).TotalMilliseconds);
        Assert.True(later > early * 8, $"mean delay at attempt 5 ({later} ms) should be ~16x attempt 1 ({early} ms)");
    }

    [Fact]
    public void Custom_bounds_are_respected()
    {
        var policy = new ExponentialBackoffPolicy(new Random(1)) { InitialDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMilliseconds(250) };
        Assert.Equal(TimeSpan.FromMilliseconds(100), policy.Ceiling(1));
        Assert.Equal(TimeSpan.FromMilliseconds(200), policy.Ceiling(2));
        Assert.Equal(TimeSpan.FromMilliseconds(250), policy.Ceiling(3));
        Assert.All(Enumerable.Range(0, 100), _ => Assert.InRange(policy.NextDelay(9, null), TimeSpan.Zero, TimeSpan.FromMilliseconds(250)));
    }
}
