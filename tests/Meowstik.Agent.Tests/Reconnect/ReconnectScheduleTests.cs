using Meowstik.Agent;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Agent.Tests.Reconnect;

public class ReconnectScheduleTests
{
    private sealed class CeilingPolicy : IReconnectPolicy
    {
        public List<(int Attempt, Exception? Error)> Calls { get; } = [];

        public TimeSpan NextDelay(int attempt, Exception? lastError)
        {
            Calls.Add((attempt, lastError));
            return new ExponentialBackoffPolicy().Ceiling(attempt);
        }
    }

    [Fact]
    public void Failed_attempts_grow_the_delay_and_pass_the_error()
    {
        var time = new FakeTimeProvider();
        var policy = new CeilingPolicy();
        var schedule = new ReconnectSchedule(policy, TimeSpan.FromSeconds(30), time);
        var error = new IOException("refused");

        Assert.Equal(TimeSpan.FromSeconds(1), schedule.OnDisconnected(error));
        Assert.Equal(TimeSpan.FromSeconds(2), schedule.OnDisconnected(error));
        Assert.Equal(TimeSpan.FromSeconds(4), schedule.OnDisconnected(null));
        Assert.Equal(3, schedule.Attempt);
        Assert.Same(error, policy.Calls[0].Error);
        Assert.Equal([1, 2, 3], policy.Calls.Select(c => c.Attempt));
    }

    [Fact]
    public void A_stable_connection_resets_the_backoff()
    {
        var time = new FakeTimeProvider();
        var schedule = new ReconnectSchedule(new CeilingPolicy(), TimeSpan.FromSeconds(30), time);
        schedule.OnDisconnected(null);
        schedule.OnDisconnected(null);
        schedule.OnDisconnected(null);

        schedule.OnOnline();
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromSeconds(1), schedule.OnDisconnected(null));
        Assert.Equal(1, schedule.Attempt);
    }

    [Fact]
    public void A_short_lived_connection_keeps_growing_the_backoff()
    {
        var time = new FakeTimeProvider();
        var schedule = new ReconnectSchedule(new CeilingPolicy(), TimeSpan.FromSeconds(30), time);
        schedule.OnDisconnected(null);
        schedule.OnDisconnected(null);

        schedule.OnOnline();
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(TimeSpan.FromSeconds(4), schedule.OnDisconnected(null));
        Assert.Equal(3, schedule.Attempt);
    }

    [Fact]
    public void Jittered_delays_over_a_fake_clock_stay_under_growing_ceilings()
    {
        var time = new FakeTimeProvider();
        var policy = new ExponentialBackoffPolicy(new Random(99));
        var schedule = new ReconnectSchedule(policy, TimeSpan.FromSeconds(30), time);
        var delays = new List<TimeSpan>();
        for (int i = 1; i <= 9; i++)
        {
            TimeSpan delay = schedule.OnDisconnected(null);
            Assert.InRange(delay, TimeSpan.Zero, policy.Ceiling(i));
            delays.Add(delay);
            time.Advance(delay);
        }

        Assert.Equal(9, delays.Distinct().Count());
        Assert.True(delays.Skip(6).Max() > delays.Take(2).Max(), "late attempts reach longer delays than the first ones");
    }

    [Fact]
    public void Negative_delays_from_a_custom_policy_are_clamped_to_zero()
    {
        var schedule = new ReconnectSchedule(new NegativePolicy(), TimeSpan.FromSeconds(30), new FakeTimeProvider());
        Assert.Equal(TimeSpan.Zero, schedule.OnDisconnected(null));
    }

    private sealed class NegativePolicy : IReconnectPolicy
    {
        public TimeSpan NextDelay(int attempt, Exception? lastError) => TimeSpan.FromSeconds(-5);
    }
}
