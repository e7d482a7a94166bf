using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;
using Meowstik.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Meowstik.Hub.Tests.Attacks;

/// <summary>Finding 3: <c>list_devices</c> copied and parsed every stored payload of every device before filtering by visibility.</summary>
public sealed class ListDevicesAttackTests
{
    [Fact]
    public async Task List_devices_never_copies_stored_payloads_and_shows_each_role_only_what_it_may_observe()
    {
        var store = new CountingStateStore();
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { ConfigureServices = s => s.AddSingleton<IStateStore>(store) });
        var devices = new List<TestMeshClient>();
        for (int i = 0; i < 10; i++)
        {
            TestMeshClient device = await host.ConnectDeviceAsync($"dev-{i}");
            await device.SendAsync($$$"""{"type":"response","payload":{"action":"status","blob":"{{{new string('x', 8 * 1024)}}}"}}""");
            devices.Add(device);
        }
        await using TestMeshClient guest = await host.ConnectUserAsync(MeshRole.Guest, "guest-eve");
        await using TestMeshClient family = await host.ConnectUserAsync(MeshRole.Family, "family-mom", "dev-3");
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");

        Assert.Empty(await ListAsync(guest));
        Assert.Equal(["dev-3"], await ListAsync(family));
        Assert.Equal(10, (await ListAsync(creator)).Count(id => id.StartsWith("dev-", StringComparison.Ordinal)));
        Assert.Equal(0, store.FullListCalls);
        foreach (TestMeshClient device in devices) await device.DisposeAsync();
    }

    private static async Task<List<string>> ListAsync(TestMeshClient client)
    {
        string id = Guid.NewGuid().ToString("N");
        await client.SendAsync($$$"""{"id":"{{{id}}}","type":"query","to":"hub","payload":{"action":"list_devices"}}""");
        JsonElement reply = await client.ReceiveAsync(m => m.Str("correlation_id") == id);
        return [.. reply.Payload().GetProperty("result").GetProperty("devices").EnumerateArray().Select(d => d.Str("device_id")!)];
    }

    /// <summary>The embedded store, counting the expensive full listings (every stored value copied and parsed).</summary>
    private sealed class CountingStateStore : IStateStore
    {
        private readonly InMemoryStateStore _inner = new();
        private int _fullListCalls;

        public int FullListCalls => Volatile.Read(ref _fullListCalls);

        public void SetRegistered(DeviceRegistration registration, DateTimeOffset at) => _inner.SetRegistered(registration, at);
        public void SetOffline(string deviceId, DateTimeOffset at) => _inner.SetOffline(deviceId, at);
        public void SetHeartbeat(string deviceId, Utf8JsonSlice payload, DateTimeOffset at) => _inner.SetHeartbeat(deviceId, payload, at);
        public void SetResponse(string deviceId, ReadOnlySpan<char> action, Utf8JsonSlice payload, DateTimeOffset at) => _inner.SetResponse(deviceId, action, payload, at);
        public void SetEvent(string deviceId, ReadOnlySpan<char> eventName, Utf8JsonSlice payload, DateTimeOffset at) => _inner.SetEvent(deviceId, eventName, payload, at);
        public bool IsKnown(ReadOnlySpan<char> deviceId) => _inner.IsKnown(deviceId);
        public DeviceState? Get(string deviceId) => _inner.Get(deviceId);

        public IReadOnlyList<DeviceState> List()
        {
            Interlocked.Increment(ref _fullListCalls);
            return _inner.List();
        }

        public IReadOnlyList<DeviceState> ListSummaries() => _inner.ListSummaries();
    }
}
