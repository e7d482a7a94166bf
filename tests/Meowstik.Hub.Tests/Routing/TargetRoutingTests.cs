using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Hub.Tests.Routing;

public sealed class TargetRoutingTests
{
    [Fact]
    public async Task Broadcast_event_reaches_every_allowed_device_except_the_sender()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");
        await using TestMeshClient guest = await host.ConnectUserAsync(MeshRole.Guest, "guest-phone");
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001");

        await desktop.SendAsync("""{"id":"ev-1","type":"event","to":"broadcast","payload":{"event":"screen_locked"}}""");

        JsonElement atCreator = await creator.ReceiveAsync(m => m.IsEvent("screen_locked"));
        Assert.Equal("desktop-001", atCreator.Str("from"));
        Assert.Equal("broadcast", atCreator.Str("to"));
        // Devices observe themselves only unless granted; the creator sees everything; guests see nothing.
        Assert.True(await guest.NothingMatchingAsync(m => m.IsEvent("screen_locked"), TimeSpan.FromMilliseconds(200)));
        Assert.True(await desktop.NothingMatchingAsync(m => m.IsEvent("screen_locked"), TimeSpan.FromMilliseconds(100)));
        Assert.Equal("screen_locked", host.Hub.GetDeviceState("desktop-001")!.LastEvents.Keys.Single());
    }

    [Fact]
    public async Task Broadcast_command_from_the_creator_reaches_all_devices_and_responses_come_back()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");
        await using TestMeshClient a = await host.ConnectDeviceAsync("light-1");
        await using TestMeshClient b = await host.ConnectDeviceAsync("light-2");

        await creator.SendAsync("""{"id":"all-off","type":"command","to":"broadcast","payload":{"action":"power","params":{"state":"off"}}}""");
        foreach (TestMeshClient light in new[] { a, b })
        {
            JsonElement command = await light.ReceiveTypeAsync("command");
            Assert.Equal("all-off", command.Str("id"));
            await light.SendAsync($$$"""{"type":"response","correlation_id":"all-off","payload":{"device":"{{{light.DeviceId}}}"}}""");
        }
        JsonElement first = await creator.ReceiveTypeAsync("response");
        JsonElement second = await creator.ReceiveTypeAsync("response");
        Assert.Equal(new[] { "light-1", "light-2" }, new[] { first.Str("from"), second.Str("from") }.Order());
    }

    [Fact]
    public async Task Hub_actions_list_devices_and_return_state_and_capabilities()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");
        await using TestMeshClient car = await host.ConnectDeviceAsync("comma3x-001", capabilities: ["gps", "speed"]);
        await car.SendAsync("""{"type":"heartbeat","payload":{"uptime_seconds":3600,"memory_mb":256,"cpu_percent":5}}""");
        await car.ReceiveTypeAsync("heartbeat");

        await creator.SendAsync("""{"id":"l","type":"query","to":"hub","payload":{"action":"list_devices"}}""");
        JsonElement list = await creator.ReceiveAsync(m => m.Type() == "response" && m.Str("correlation_id") == "l");
        string[] ids = [.. list.Payload().GetProperty("result").GetProperty("devices").EnumerateArray().Select(d => d.Str("device_id")!)];
        Assert.Contains("comma3x-001", ids);
        Assert.Contains("creator-phone", ids);

        await creator.SendAsync("""{"id":"s","type":"query","payload":{"action":"get_state","params":{"device_id":"comma3x-001"}}}""");
        JsonElement state = (await creator.ReceiveAsync(m => m.Str("correlation_id") == "s")).Payload().GetProperty("result");
        Assert.True(state.GetProperty("online").GetBoolean());
        Assert.Equal(3600, state.GetProperty("last_heartbeat").GetProperty("value").GetProperty("uptime_seconds").GetInt32());

        await creator.SendAsync("""{"id":"c","type":"query","to":"hub","payload":{"action":"get_capabilities","params":{"device_id":"comma3x-001"}}}""");
        JsonElement caps = (await creator.ReceiveAsync(m => m.Str("correlation_id") == "c")).Payload().GetProperty("result");
        Assert.Equal(["gps", "speed"], caps.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()!).ToArray());
        Assert.False(caps.TryGetProperty("actions", out _)); // a device that did not send per-capability actions (the document's register)
        Assert.False(caps.TryGetProperty("queries", out _));

        await creator.SendAsync("""{"id":"u","type":"query","to":"hub","payload":{"action":"reboot_hub"}}""");
        Assert.Equal("unknown_hub_action", (await creator.ReceiveAsync(m => m.Str("correlation_id") == "u")).ErrorCode());
    }

    [Fact]
    public async Task A_spoofed_from_is_rejected_and_never_delivered()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient alexa = await host.ConnectDeviceAsync("alexa-001");
        await using TestMeshClient phone = await host.ConnectDeviceAsync("phone-001", commandGrants: ["alexa-001"]);

        await phone.SendAsync("""{"id":"spoof","type":"command","from":"desktop-001","to":"alexa-001","payload":{"action":"speak"}}""");
        JsonElement error = await phone.ReceiveTypeAsync("error");
        Assert.Equal("forbidden", error.ErrorCode());
        Assert.Equal("from", error.Payload().Str("field"));
        Assert.Equal("spoof", error.Str("correlation_id"));
        Assert.True(await alexa.NothingMatchingAsync(m => m.Type() == "command", TimeSpan.FromMilliseconds(200)));

        // The connection stays up and a correct message still flows.
        await phone.SendAsync("""{"id":"ok","type":"command","to":"alexa-001","payload":{"action":"speak"}}""");
        Assert.Equal("phone-001", (await alexa.ReceiveTypeAsync("command")).Str("from"));
    }

    [Fact]
    public async Task Offline_and_unknown_targets_get_typed_errors()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");
        TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        await tv.DisposeAsync();
        await Eventually.TrueAsync(() => !host.Hub.IsOnline("tv-001"), "the tv went offline");

        await creator.SendAsync("""{"id":"a","type":"command","to":"tv-001","payload":{"action":"power"}}""");
        Assert.Equal("device_offline", (await creator.ReceiveAsync(m => m.Str("correlation_id") == "a")).ErrorCode());
        await creator.SendAsync("""{"id":"b","type":"command","to":"toaster-9","payload":{"action":"power"}}""");
        Assert.Equal("unknown_device", (await creator.ReceiveAsync(m => m.Str("correlation_id") == "b")).ErrorCode());

        MeshRequestException offline = await Assert.ThrowsAsync<MeshRequestException>(() => host.Hub.SendCommandAsync("tv-001", "power"));
        Assert.Equal("device_offline", offline.Code);
        MeshRequestException unknown = await Assert.ThrowsAsync<MeshRequestException>(() => host.Hub.SendCommandAsync("toaster-9", "power"));
        Assert.Equal("unknown_device", unknown.Code);
    }

    [Fact]
    public async Task An_unanswered_request_times_out_with_a_timeout_error_to_the_requester()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { TimeProvider = time });
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");

        // Per-message override: 5 s instead of the default 30 s.
        await creator.SendAsync("""{"id":"slow","type":"query","to":"tv-001","payload":{"action":"status","timeout_ms":5000}}""");
        await tv.ReceiveTypeAsync("query");
        Assert.Equal(1, host.Hub.PendingRequestCount);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(1, host.Hub.PendingRequestCount);
        time.Advance(TimeSpan.FromSeconds(1.5));
        JsonElement error = await creator.ReceiveAsync(m => m.Str("correlation_id") == "slow");
        Assert.Equal("timeout", error.ErrorCode());
        Assert.Equal(0, host.Hub.PendingRequestCount);

        // A late response is dropped (counted), not delivered.
        long dropsBefore = host.Hub.DroppedMessageCount;
        await tv.SendAsync("""{"type":"response","correlation_id":"slow","payload":{}}""");
        await Eventually.TrueAsync(() => host.Hub.DroppedMessageCount > dropsBefore, "the late response was counted as dropped");
        Assert.True(await creator.NothingMatchingAsync(m => m.Type() == "response", TimeSpan.FromMilliseconds(200)));

        // The host API times out the same way (default timeout from options).
        Task<MeshReply> hostQuery = host.Hub.QueryAsync("tv-001", "status");
        await tv.ReceiveTypeAsync("query");
        await Eventually.AdvanceUntilAsync(time, TimeSpan.FromSeconds(5), () => hostQuery.IsCompleted, "the host query timed out", maxSteps: 10);
        Assert.Equal("timeout", (await Assert.ThrowsAsync<MeshRequestException>(() => hostQuery)).Code);
    }

    [Fact]
    public async Task Only_the_asked_device_may_answer_a_request()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        await using TestMeshClient intruder = await host.ConnectDeviceAsync("lamp-001");

        await creator.SendAsync("""{"id":"q1","type":"query","to":"tv-001","payload":{"action":"status"}}""");
        await tv.ReceiveTypeAsync("query");
        await intruder.SendAsync("""{"type":"response","correlation_id":"q1","payload":{"fake":true}}""");
        Assert.Equal("forbidden", (await intruder.ReceiveTypeAsync("error")).ErrorCode());

        await tv.SendAsync("""{"type":"response","correlation_id":"q1","payload":{"fake":false}}""");
        JsonElement response = await creator.ReceiveTypeAsync("response");
        Assert.False(response.Payload().GetProperty("fake").GetBoolean());
    }

    [Fact]
    public async Task A_device_that_disconnects_with_pending_requests_fails_them_at_once()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");
        TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");

        await creator.SendAsync("""{"id":"q","type":"query","to":"tv-001","payload":{"action":"status"}}""");
        await tv.ReceiveTypeAsync("query");
        await tv.DisposeAsync();
        Assert.Equal("device_offline", (await creator.ReceiveAsync(m => m.Str("correlation_id") == "q")).ErrorCode());
    }

    [Fact]
    public async Task Events_to_the_hub_reach_host_subscribers_and_state()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        using MeshSubscription<MeshEvent> events = host.Hub.SubscribeEvents(deviceId: "desktop-001");
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001");
        await desktop.SendAsync("""{"type":"event","payload":{"event":"file_saved","path":"/tmp/a.txt"}}""");

        var received = new List<MeshEvent>();
        using var timeout = new CancellationTokenSource(TestMeshClient.DefaultTimeout);
        await foreach (MeshEvent e in events.WithCancellation(timeout.Token))
        {
            received.Add(e);
            if (e.Name == "file_saved") break;
        }
        Assert.Equal("device_connected", received[0].Name);
        Assert.Equal("/tmp/a.txt", received[^1].Payload.GetProperty("path").GetString());
        Assert.Equal("desktop-001", received[^1].From);
    }
}
