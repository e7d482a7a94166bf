using Meowstik.Hub.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Hub.Tests.Timing;

public sealed class TimerWheelTests
{
    [Fact]
    public void Entries_fire_once_at_or_after_their_deadline_never_before()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var wheel = new TimerWheel(time, TimeSpan.FromMilliseconds(100), NullLogger.Instance);
        var early = new Probe();
        var late = new Probe();
        wheel.Schedule(early, time.GetTimestamp() + wheel.ToTimestampDelta(TimeSpan.FromMilliseconds(250)));
        wheel.Schedule(late, time.GetTimestamp() + wheel.ToTimestampDelta(TimeSpan.FromSeconds(120)));   // beyond one revolution (51.2 s)

        time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(0, early.Fired);
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, early.Fired);
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(0, late.Fired);
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, late.Fired);
        Assert.Equal(1, early.Fired);
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Cancelled_and_rescheduled_entries_fire_only_at_the_new_deadline()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var wheel = new TimerWheel(time, TimeSpan.FromMilliseconds(100), NullLogger.Instance);
        var cancelled = new Probe();
        var moved = new Probe();
        long now = time.GetTimestamp();
        wheel.Schedule(cancelled, now + wheel.ToTimestampDelta(TimeSpan.FromSeconds(1)));
        wheel.Schedule(moved, now + wheel.ToTimestampDelta(TimeSpan.FromSeconds(1)));
        Assert.True(wheel.Cancel(cancelled));
        Assert.False(wheel.Cancel(cancelled));
        wheel.Schedule(moved, now + wheel.ToTimestampDelta(TimeSpan.FromSeconds(3)));

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, cancelled.Fired);
        Assert.Equal(0, moved.Fired);
        time.Advance(TimeSpan.FromSeconds(1.1));
        Assert.Equal(1, moved.Fired);
    }

    [Fact]
    public void Thousands_of_entries_share_one_timer_and_scheduling_does_not_allocate()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var wheel = new TimerWheel(time, TimeSpan.FromMilliseconds(100), NullLogger.Instance);
        var probes = Enumerable.Range(0, 10_000).Select(_ => new Probe()).ToArray();
        long now = time.GetTimestamp();
        void ScheduleAll()
        {
            for (int i = 0; i < probes.Length; i++) wheel.Schedule(probes[i], now + wheel.ToTimestampDelta(TimeSpan.FromMilliseconds(i % 5000)));
        }
        ScheduleAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        ScheduleAll();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        time.Advance(TimeSpan.FromSeconds(6));
        Assert.All(probes, p => Assert.Equal(1, p.Fired));
    }

    private sealed class Probe : TimerWheelEntry
    {
        public int Fired;

        internal override void OnDeadline(long nowTimestamp)
        {
            Assert.True(nowTimestamp >= DueTimestamp);
            Fired++;
        }
    }
}
