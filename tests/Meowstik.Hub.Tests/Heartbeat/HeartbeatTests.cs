using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Hub.Tests.Heartbeat;

public sealed class HeartbeatTests
{
    [Fact]
    public async Task Three_missed_intervals_mark_the_device_offline_and_close_it_with_4005()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { TimeProvider = time });
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001");
        await creator.ReceiveAsync(m => m.IsEvent("device_connected") && m.Payload().Str("device_id") == "desktop-001");

        // Traffic at 60 s resets the deadline: still online at 60 + 89 s.
        time.Advance(TimeSpan.FromSeconds(60));
        await desktop.SendAsync("""{"type":"heartbeat","payload":{"uptime_seconds":60}}""");
        await desktop.ReceiveTypeAsync("heartbeat");
        // The creator keeps itself alive the same way.
        await creator.SendAsync("""{"type":"heartbeat"}""");
        await creator.ReceiveTypeAsync("heartbeat");
        time.Advance(TimeSpan.FromSeconds(89));
        Assert.True(host.Hub.IsOnline("desktop-001"));
        await creator.SendAsync("""{"type":"heartbeat"}""");
        await creator.ReceiveTypeAsync("heartbeat");

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(4005, (int)(await desktop.WaitClosedAsync())!);
        JsonElement offline = await creator.ReceiveAsync(m => m.IsEvent("device_offline"));
        Assert.Equal("desktop-001", offline.Payload().Str("device_id"));
        Assert.False(host.Hub.GetDeviceState("desktop-001")!.IsOnline);
        Assert.Equal(60, host.Hub.GetDeviceState("desktop-001")!.LastHeartbeat!.Value.GetProperty("uptime_seconds").GetInt32());
    }

    [Fact]
    public async Task Short_real_intervals_work_without_a_fake_clock()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(100));
        await using TestMeshClient silent = await host.ConnectDeviceAsync("sensor-001");
        Assert.Equal(4005, (int)(await silent.WaitClosedAsync())!);
        Assert.False(host.Hub.IsOnline("sensor-001"));
    }
}
