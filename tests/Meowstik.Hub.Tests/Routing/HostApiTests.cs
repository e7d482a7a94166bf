using System.Net.WebSockets;
using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;
using Meowstik.Protocol;

namespace Meowstik.Hub.Tests.Routing;

public sealed class HostApiTests
{
    [Fact]
    public async Task A_device_error_answer_surfaces_as_a_typed_exception()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient alexa = await host.ConnectDeviceAsync("alexa-001");

        Task<MeshReply> call = host.Hub.SendCommandAsync("alexa-001", "fly", JsonDocument.Parse("""{"height":3}""").RootElement);
        JsonElement command = await alexa.ReceiveTypeAsync("command");
        Assert.Equal(3, command.Payload().GetProperty("params").GetProperty("height").GetInt32());
        await alexa.SendAsync($$$"""{"type":"error","correlation_id":"{{{command.Str("id")}}}","payload":{"code":"unknown_action","message":"No capability handles 'fly'."}}""");

        MeshRequestException error = await Assert.ThrowsAsync<MeshRequestException>(() => call.WaitAsync(TestMeshClient.DefaultTimeout));
        Assert.Equal("unknown_action", error.Code);
        Assert.Equal("alexa-001", error.DeviceId);
    }

    [Fact]
    public async Task Cancelling_a_host_request_stops_waiting_and_frees_it()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        using var cts = new CancellationTokenSource();
        Task<MeshReply> call = host.Hub.QueryAsync("tv-001", "status", cancellationToken: cts.Token);
        await tv.ReceiveTypeAsync("query");
        Assert.Equal(1, host.Hub.PendingRequestCount);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Equal(0, host.Hub.PendingRequestCount);
    }

    [Fact]
    public async Task Host_broadcast_reaches_every_device_and_events_can_target_one_device()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient a = await host.ConnectDeviceAsync("light-1");
        await using TestMeshClient b = await host.ConnectDeviceAsync("light-2", commandGrants: ["light-1"]);

        int reached = await host.Hub.BroadcastAsync(MessageType.Event, JsonDocument.Parse("""{"event":"good_night"}""").RootElement);
        Assert.Equal(2, reached);
        foreach (TestMeshClient light in new[] { a, b })
        {
            JsonElement e = await light.ReceiveAsync(m => m.IsEvent("good_night"));
            Assert.Equal("hub", e.Str("from"));
        }

        await b.SendAsync("""{"type":"event","to":"light-1","payload":{"event":"sync","level":40}}""");
        JsonElement direct = await a.ReceiveAsync(m => m.IsEvent("sync"));
        Assert.Equal("light-2", direct.Str("from"));
        Assert.Equal(40, direct.Payload().GetProperty("level").GetInt32());
    }

    [Fact]
    public async Task Stopping_the_host_closes_devices_with_1001()
    {
        MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        await host.DisposeAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await tv.WaitClosedAsync());
    }

    [Fact]
    public async Task Device_state_tracks_registration_presence_and_last_values()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        TestMeshClient car = await host.ConnectDeviceAsync("comma3x-001", capabilities: ["gps", "speed"], path: "/ws/vehicle/car-1");
        await car.SendAsync("""{"type":"event","payload":{"event":"engaged","on":true}}""");
        await car.SendAsync("""{"type":"heartbeat","payload":{"uptime_seconds":5}}""");
        await car.ReceiveTypeAsync("heartbeat");

        Meowstik.Hub.Core.DeviceState state = host.Hub.GetDeviceState("comma3x-001")!;
        Assert.True(state.IsOnline);
        Assert.Equal(["gps", "speed"], state.Registration.Capabilities);
        Assert.Equal("Test comma3x-001", state.Registration.DeviceName);
        Assert.True(state.LastEvents["engaged"].Value.GetProperty("on").GetBoolean());
        Assert.Equal(5, state.LastHeartbeat!.Value.GetProperty("uptime_seconds").GetInt32());

        await car.DisposeAsync();
        await Eventually.TrueAsync(() => host.Hub.GetDeviceState("comma3x-001")!.IsOnline == false, "the car went offline");
        Assert.Contains(host.Hub.ListDevices(), d => d.DeviceId == "comma3x-001" && !d.IsOnline);
    }
}
