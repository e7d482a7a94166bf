using Meowstik.Agent;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Agent.Tests.Heartbeat;

public class ProcessMetricsSamplerTests
{
    [Fact]
    public void Cpu_percent_is_process_cpu_over_the_interval_divided_by_processor_count()
    {
        var time = new FakeTimeProvider();
        TimeSpan cpu = TimeSpan.FromSeconds(10);
        long workingSet = 256L * 1024 * 1024;
        var sampler = new ProcessMetricsSampler(time, () => new ProcessCounters(cpu, workingSet), processorCount: 4, uptimeAtStart: TimeSpan.FromSeconds(100));

        // 30 s of wall time, 12 s of CPU on 4 cores = 12 / (30 * 4) = 10 %.
        time.Advance(TimeSpan.FromSeconds(30));
        cpu += TimeSpan.FromSeconds(12);
        ProcessMetrics first = sampler.Sample();
        Assert.Equal(10.0, first.CpuPercent, 3);
        Assert.Equal(256.0, first.MemoryMegabytes, 3);
        Assert.Equal(130, first.UptimeSeconds);

        // The next interval only counts what happened since the previous sample.
        time.Advance(TimeSpan.FromSeconds(10));
        cpu += TimeSpan.FromSeconds(1);
        workingSet = 300L * 1024 * 1024 + 512 * 1024;
        ProcessMetrics second = sampler.Sample();
        Assert.Equal(2.5, second.CpuPercent, 3);
        Assert.Equal(300.5, second.MemoryMegabytes, 3);
        Assert.Equal(140, second.UptimeSeconds);
    }

    [Fact]
    public void Cpu_percent_is_clamped_and_zero_when_no_time_passed()
    {
        var time = new FakeTimeProvider();
        TimeSpan cpu = TimeSpan.Zero;
        var sampler = new ProcessMetricsSampler(time, () => new ProcessCounters(cpu, 1), 1, TimeSpan.Zero);
        Assert.Equal(0, sampler.Sample().CpuPercent);

        time.Advance(TimeSpan.FromSeconds(1));
        cpu = TimeSpan.FromSeconds(5);
        Assert.Equal(100, sampler.Sample().CpuPercent);
    }

    [Fact]
    public void The_real_sampler_reports_this_process()
    {
        var sampler = new ProcessMetricsSampler();

        // Burn some CPU so the interval has something to measure.
        long end = Environment.TickCount64 + 100;
        double x = 0;
        while (Environment.TickCount64 < end)
        {
            x += Math.Sqrt(x + 1);
        }

        ProcessMetrics m = sampler.Sample();
        Assert.True(x > 0);
        Assert.InRange(m.MemoryMegabytes, 1, 100_000);
        Assert.InRange(m.CpuPercent, 0.01, 100);
        Assert.True(m.UptimeSeconds >= 0);
    }
}
