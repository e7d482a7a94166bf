using System.Net.WebSockets;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;

namespace Meowstik.Hub.Tests.Attacks;

/// <summary>Low items: unbounded stream subscriptions, and binary frames from a peer that never announced <c>binary_streams</c>.</summary>
public sealed class StreamAttackTests
{
    [Fact]
    public async Task A_connection_holds_at_most_its_budget_of_stream_subscriptions()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o => o.MaxStreamSubscriptionsPerConnection = 3);
        await using TestMeshClient camera = await host.ConnectDeviceAsync("cam-1");
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");
        for (int i = 0; i < 4; i++)
        {
            await creator.SendAsync($$$$"""{"id":"s{{{{i}}}}","type":"command","to":"hub","payload":{"action":"subscribe_stream","params":{"device_id":"cam-1","stream_type":"type-{{{{i}}}}"}}}""");
        }
        for (int i = 0; i < 3; i++) Assert.Equal("response", (await creator.ReceiveAsync(m => m.Str("correlation_id") == $"s{i}")).Type());
        Assert.Equal("overloaded", (await creator.ReceiveAsync(m => m.Str("correlation_id") == "s3")).ErrorCode());
        // Unsubscribing frees a place.
        await creator.SendAsync("""{"id":"u","type":"command","to":"hub","payload":{"action":"unsubscribe_stream","params":{"device_id":"cam-1","stream_type":"type-0"}}}""");
        await creator.ReceiveAsync(m => m.Str("correlation_id") == "u");
        await creator.SendAsync("""{"id":"s4","type":"command","to":"hub","payload":{"action":"subscribe_stream","params":{"device_id":"cam-1","stream_type":"type-4"}}}""");
        Assert.Equal("response", (await creator.ReceiveAsync(m => m.Str("correlation_id") == "s4")).Type());
    }

    [Fact]
    public async Task Binary_frames_from_a_device_that_did_not_announce_binary_streams_are_refused()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient device = await host.ConnectDeviceAsync("cam-1");
        await device.SendRawAsync(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, WebSocketMessageType.Binary);
        Assert.Equal("invalid_request", (await device.ReceiveTypeAsync("error")).ErrorCode());
    }
}
