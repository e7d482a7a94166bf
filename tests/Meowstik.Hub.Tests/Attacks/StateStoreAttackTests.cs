using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;

namespace Meowstik.Hub.Tests.Attacks;

/// <summary>Finding 2: a guest filled hub memory through unsolicited responses kept as state (before any authorization).</summary>
public sealed class StateStoreAttackTests
{
    [Fact]
    public async Task A_guest_cannot_store_state_with_unsolicited_responses()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o => o.RateLimitBurst = 1000);
        await using TestMeshClient guest = await host.ConnectUserAsync(MeshRole.Guest, "guest-eve");
        string blob = new('x', 32 * 1024);
        for (int i = 0; i < 20; i++)
        {
            await guest.SendAsync($$$"""{"id":"r{{{i}}}","type":"response","payload":{"action":"fill{{{i}}}","blob":"{{{blob}}}"}}""");
            Assert.Equal("forbidden", (await guest.ReceiveAsync(m => m.Str("correlation_id") == $"r{i}")).ErrorCode());
        }
        Assert.Null(host.Hub.GetDeviceState("guest-eve"));
        Assert.DoesNotContain(host.Hub.ListDevices(), d => d.DeviceId.StartsWith("guest-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_device_keeps_at_most_its_byte_budget_of_state()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o =>
        {
            o.MaxStateBytesPerDevice = 64 * 1024;
            o.RateLimitBurst = 1000;
        });
        await using TestMeshClient device = await host.ConnectDeviceAsync("sensor-1");
        string blob = new('x', 10 * 1024);
        for (int i = 0; i < 40; i++)
        {
            await device.SendAsync($$$"""{"id":"r{{{i}}}","type":"response","payload":{"action":"read{{{i}}}","blob":"{{{blob}}}"}}""");
        }
        // One connection's messages are handled in order: the device's own hub request is answered after its 40 responses.
        await device.SendAsync("""{"id":"s","type":"query","to":"hub","payload":{"action":"get_state","params":{"device_id":"sensor-1"}}}""");
        Assert.Equal("response", (await device.ReceiveAsync(m => m.Str("correlation_id") == "s")).Type());

        DeviceState state = host.Hub.GetDeviceState("sensor-1")!;
        long stored = state.LastResponses.Values.Sum(v => (long)v.Value.GetRawText().Length);
        Assert.InRange(stored, 1, 64 * 1024);
        Assert.True(state.LastResponses.Count < 40, "values past the budget are not recorded");
        Assert.True(((InMemoryStateStore)host.Services.GetService(typeof(IStateStore))!).RefusedValueCount > 0);
    }
}
