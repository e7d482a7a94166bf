using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Meowstik.Hub.Tests.Fixtures;

namespace Meowstik.Hub.Tests.Connections;

public sealed class BadInputTests
{
    [Theory]
    [InlineData("""{"type":"command","to":"tv-001","payload":{"action":""",  "malformed_json")]
    [InlineData("""[1,2,3]""", "malformed_json")]
    [InlineData("""{"type":"teleport","payload":{}}""", "unknown_type")]
    [InlineData("""{"type":"command","to":"tv-001","payload":{}}""", "missing_field")]
    [InlineData("""{"type":"command","to":42,"payload":{"action":"x"}}""", "invalid_field")]
    [InlineData("""{"type":"event","payload":{"event":"x"},"type":"event"}""", "duplicate_field")]
    public async Task Bad_input_gets_a_protocol_error_and_the_connection_stays_up(string message, string code)
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001", commandGrants: ["tv-001"]);

        await desktop.SendAsync(message);
        Assert.Equal(code, (await desktop.ReceiveTypeAsync("error")).ErrorCode());

        await desktop.SendAsync("""{"id":"after","type":"command","to":"tv-001","payload":{"action":"power"}}""");
        Assert.Equal("after", (await tv.ReceiveTypeAsync("command")).Str("id"));
    }

    [Fact]
    public async Task An_oversized_message_gets_too_large_and_the_connection_stays_up()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o => o.MaxMessageBytes = 4096);
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001");

        string big = "{\"type\":\"event\",\"payload\":{\"event\":\"x\",\"blob\":\"" + new string('a', 10_000) + "\"}}";
        await desktop.SendAsync(big);
        JsonElement error = await desktop.ReceiveTypeAsync("error");
        Assert.Equal("too_large", error.ErrorCode());

        await desktop.SendAsync("""{"type":"heartbeat"}""");
        await desktop.ReceiveTypeAsync("heartbeat");
    }

    [Fact]
    public async Task Invalid_utf8_text_is_closed_with_1007_and_the_hub_keeps_serving_others()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient bystander = await host.ConnectDeviceAsync("tv-001");
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001");
        byte[] bytes = [.. Encoding.UTF8.GetBytes("{\"type\":\"event\",\"payload\":{\"event\":\""), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}}")];
        await desktop.SendRawAsync(bytes, WebSocketMessageType.Text);

        // Kestrel's WebSocket validates text frames (RFC 6455) and fails the connection with 1007 before the hub sees the bytes.
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, await desktop.WaitClosedAsync());
        await Eventually.TrueAsync(() => !host.Hub.IsOnline("desktop-001"), "the hub dropped the connection");
        await bystander.SendAsync("""{"type":"heartbeat"}""");
        await bystander.ReceiveTypeAsync("heartbeat");
    }

    [Fact]
    public async Task Repeated_violations_close_the_connection_and_other_devices_see_nothing()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o => o.MaxViolations = 3);
        await using TestMeshClient bystander = await host.ConnectDeviceAsync("tv-001");
        await using TestMeshClient bad = await host.ConnectDeviceAsync("desktop-001");

        for (int i = 0; i < 4; i++) await bad.SendAsync("not json at all");

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await bad.WaitClosedAsync());
        Assert.True(await bystander.NothingMatchingAsync(_ => true, TimeSpan.FromMilliseconds(200)));
        Assert.True(host.Hub.IsOnline("tv-001"));
        Assert.False(host.Hub.IsOnline("desktop-001"));
    }

    [Fact]
    public async Task Repeated_oversized_messages_close_with_1009()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o =>
        {
            o.MaxMessageBytes = 1024;
            o.MaxViolations = 2;
        });
        await using TestMeshClient bad = await host.ConnectDeviceAsync("desktop-001");
        string big = "{\"type\":\"event\",\"payload\":{\"event\":\"" + new string('b', 5000) + "\"}}";
        for (int i = 0; i < 3; i++) await bad.SendAsync(big);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await bad.WaitClosedAsync());
    }

    [Fact]
    public async Task The_rate_limit_answers_rate_limited()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o =>
        {
            o.RateLimitBurst = 5;
            o.RateLimitPerSecond = 0.001;
            o.MaxViolations = 100;
        });
        await using TestMeshClient chatty = await host.ConnectDeviceAsync("desktop-001");
        // The register message took one token.
        for (int i = 0; i < 6; i++) await chatty.SendAsync("""{"type":"event","payload":{"event":"tick"}}""");
        Assert.Equal("rate_limited", (await chatty.ReceiveTypeAsync("error")).ErrorCode());
        Assert.Equal(WebSocketState.Open, chatty.Socket.State);
    }

    [Fact]
    public async Task Connections_beyond_the_limit_are_refused_with_1013()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o => o.MaxConnections = 2);
        await using TestMeshClient a = await host.ConnectDeviceAsync("a-001");
        await using TestMeshClient b = await host.ConnectDeviceAsync("b-001");
        await using TestMeshClient c = await host.ConnectAsync();
        Assert.Equal(1013, (int)(await c.WaitClosedAsync())!);
        Assert.True(host.Hub.IsOnline("a-001"));
    }
}
