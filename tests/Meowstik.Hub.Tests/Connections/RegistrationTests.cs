using System.Net.WebSockets;
using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Hub.Tests.Connections;

public sealed class RegistrationTests
{
    [Theory]
    [InlineData("query")]
    [InlineData("bearer")]
    [InlineData("payload")]
    public async Task Registers_with_the_token_from_query_header_or_payload(string tokenSource)
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        IssuedToken token = await host.IssueDeviceAsync("desktop-001");
        await using TestMeshClient client = tokenSource switch
        {
            "query" => await host.ConnectAsync(token.Secret),
            "bearer" => await host.ConnectAsync(token.Secret, bearer: true),
            _ => await host.ConnectAsync(),
        };

        JsonElement reply = await client.RegisterAsync("desktop-001", ["screen_capture"], authToken: tokenSource == "payload" ? token.Secret : null);

        Assert.Equal("response", reply.Type());
        Assert.Equal("reg-desktop-001", reply.Str("correlation_id"));
        Assert.Equal("registered", reply.Payload().Str("status"));
        Assert.StartsWith("sess_", reply.Payload().Str("session_id"));
        Assert.Equal(30000, reply.Payload().GetProperty("heartbeat_interval").GetInt64());
        Assert.True(host.Hub.IsOnline("desktop-001"));
    }

    [Fact]
    public async Task Each_design_document_path_accepts_devices()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        string[] paths = ["/ws/mesh", "/ws/desktop/agent/s1", "/ws/extension/s2", "/ws/homeserver/home-1", "/ws/vehicle/car-1", "/api/live/stream/s3"];
        for (int i = 0; i < paths.Length; i++)
        {
            await using TestMeshClient client = await host.ConnectDeviceAsync($"device-{i}", path: paths[i]);
            Assert.True(host.Hub.IsOnline($"device-{i}"));
        }
        Assert.Equal(MeshPathKind.Vehicle, host.Hub.GetDeviceState("device-4")!.Registration.PathKind);
    }

    [Fact]
    public async Task Device_id_comes_from_the_token_when_from_is_absent()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        IssuedToken token = await host.IssueDeviceAsync("phone-001");
        await using TestMeshClient client = await host.ConnectAsync(token.Secret);
        await client.RegisterAsync("phone-001", ["gps"], includeFrom: false);
        Assert.True(host.Hub.IsOnline("phone-001"));
    }

    [Fact]
    public async Task No_register_within_the_deadline_closes_with_1008()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { ConfigureHub = o => o.RegistrationTimeout = TimeSpan.FromSeconds(10), TimeProvider = time });
        await using TestMeshClient client = await host.ConnectAsync();
        await Eventually.TrueAsync(() => host.Hub.ConnectionCount == 1, "the hub saw the connection");

        time.Advance(TimeSpan.FromSeconds(9));
        await Task.Delay(50);
        Assert.False(client.Closed.IsCompleted);

        await Eventually.AdvanceUntilAsync(time, TimeSpan.FromSeconds(1), () => client.Closed.IsCompleted, "the deadline closed it", maxSteps: 30);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await client.WaitClosedAsync());
    }

    [Fact]
    public async Task A_message_before_register_gets_not_registered_and_the_connection_stays_up()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        IssuedToken token = await host.IssueDeviceAsync("desktop-001");
        await using TestMeshClient client = await host.ConnectAsync(token.Secret);

        await client.SendAsync("""{"id":"early","type":"event","payload":{"event":"hello"}}""");
        JsonElement error = await client.ReceiveTypeAsync("error");
        Assert.Equal("not_registered", error.ErrorCode());
        Assert.Equal("early", error.Str("correlation_id"));

        await client.RegisterAsync("desktop-001", ["x"]);
        Assert.True(host.Hub.IsOnline("desktop-001"));
    }

    [Theory]
    [InlineData("mtk_this-token-does-not-exist-anywhere-at-all-00000000")]
    [InlineData(null)]
    public async Task An_invalid_or_missing_token_is_refused_with_4001(string? token)
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient client = await host.ConnectAsync(token);
        await client.SendAsync("""{"id":"r","type":"register","from":"desktop-001","payload":{"capabilities":[]}}""");
        JsonElement error = await client.ReceiveTypeAsync("error");
        Assert.Equal("unauthorized", error.ErrorCode());
        Assert.Equal(4001, (int)(await client.WaitClosedAsync())!);
        Assert.False(host.Hub.IsOnline("desktop-001"));
    }

    [Fact]
    public async Task A_device_token_cannot_register_as_another_device()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        IssuedToken token = await host.IssueDeviceAsync("phone-001");
        await using TestMeshClient client = await host.ConnectAsync(token.Secret);
        await client.SendAsync("""{"id":"r","type":"register","from":"desktop-001","payload":{"capabilities":[]}}""");
        JsonElement error = await client.ReceiveTypeAsync("error");
        Assert.Equal("unauthorized", error.ErrorCode());
        Assert.Contains("device_id_mismatch", error.Payload().Str("message"));
        Assert.Equal(4001, (int)(await client.WaitClosedAsync())!);
        Assert.False(host.Hub.IsOnline("desktop-001"));
    }

    [Fact]
    public async Task A_second_connection_with_the_same_id_replaces_the_first_with_4003()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient observer = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");
        IssuedToken token = await host.IssueDeviceAsync("desktop-001");
        await using TestMeshClient first = await host.ConnectAsync(token.Secret);
        await first.RegisterAsync("desktop-001", ["x"]);
        await observer.ReceiveAsync(m => m.IsEvent("device_connected"));

        await using TestMeshClient second = await host.ConnectAsync(token.Secret);
        await second.RegisterAsync("desktop-001", ["x"]);

        Assert.Equal(4003, (int)(await first.WaitClosedAsync())!);
        Assert.True(host.Hub.IsOnline("desktop-001"));
        // The device never went offline: no device_offline, a second device_connected.
        await observer.ReceiveAsync(m => m.IsEvent("device_connected"));
        Assert.True(await observer.NothingMatchingAsync(m => m.IsEvent("device_offline"), TimeSpan.FromMilliseconds(300)));

        // Routing reaches the new connection.
        Task<MeshReply> answer = host.Hub.QueryAsync("desktop-001", "status");
        JsonElement query = await second.ReceiveTypeAsync("query");
        await second.SendAsync($$$"""{"type":"response","correlation_id":"{{{query.Str("id")}}}","payload":{"ok":true}}""");
        Assert.True((await answer.WaitAsync(TestMeshClient.DefaultTimeout)).Payload.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Device_connected_is_announced_only_to_devices_allowed_to_see_it()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");
        await using TestMeshClient family = await host.ConnectUserAsync(MeshRole.Family, "family-mom-phone", "tv-001");
        await using TestMeshClient guest = await host.ConnectUserAsync(MeshRole.Guest, "guest-phone");

        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001", capabilities: ["power"]);
        JsonElement seen = await creator.ReceiveAsync(m => m.IsEvent("device_connected") && m.Payload().Str("device_id") == "tv-001");
        Assert.Equal("hub", seen.Str("from"));
        Assert.Equal("Test tv-001", seen.Payload().Str("device_name"));
        await family.ReceiveAsync(m => m.IsEvent("device_connected") && m.Payload().Str("device_id") == "tv-001");

        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001");
        await creator.ReceiveAsync(m => m.IsEvent("device_connected") && m.Payload().Str("device_id") == "desktop-001");
        Assert.True(await family.NothingMatchingAsync(m => m.IsEvent("device_connected") && m.Payload().Str("device_id") == "desktop-001", TimeSpan.FromMilliseconds(300)));
        Assert.True(await guest.NothingMatchingAsync(m => m.IsEvent("device_connected"), TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task A_family_client_cannot_take_the_id_of_a_device()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001");
        IssuedToken family = await host.IssueTokenAsync(MeshRole.Family, "mom", "desktop-001");
        await using TestMeshClient client = await host.ConnectAsync(family.Secret);
        await client.SendAsync("""{"id":"r","type":"register","from":"desktop-001","payload":{"capabilities":[]}}""");
        JsonElement error = await client.ReceiveTypeAsync("error");
        Assert.Equal("forbidden", error.ErrorCode());
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await client.WaitClosedAsync());
        Assert.False(desktop.Closed.IsCompleted);
    }
}
