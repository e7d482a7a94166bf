using Meowstik.Agent;

namespace Meowstik.Agent.Tests.Connection;

public class WireDurationTests
{
    [Theory]
    [InlineData(0L, null)]
    [InlineData(-5L, null)]
    [InlineData(long.MinValue, null)]
    [InlineData(1L, 1.0)]
    [InlineData(29_999L, 29_999.0)]
    [InlineData(30_000L, 30_000.0)]
    [InlineData(30_001L, 30_000.0)]
    [InlineData(1_000_000_000_000_000_000L, 30_000.0)] // 1e18: TimeSpan.FromMilliseconds throws on it
    [InlineData(long.MaxValue, 30_000.0)]
    public void Peer_supplied_milliseconds_never_throw_and_never_exceed_the_maximum(long wire, double? expectedMs)
    {
        TimeSpan? value = WireDuration.Clamp(wire, TimeSpan.FromSeconds(30));
        Assert.Equal(expectedMs, value?.TotalMilliseconds);
    }

    [Fact]
    public void The_largest_allowed_maximum_is_usable_by_timers()
    {
        TimeSpan max = WireDuration.Clamp(long.MaxValue, MeshAgentOptions.MaxTimeout)!.Value;
        using var cts = new CancellationTokenSource(max); // throws beyond ~49.7 days
        Assert.Equal(MeshAgentOptions.MaxTimeout, max);
    }
}
