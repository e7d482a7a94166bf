using System.Net;
using System.Text.Json;
using Meowstik.Hub.AspNetCore;
using Meowstik.Hub.Tests.Fixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meowstik.Hub.Tests.Hosting;

/// <summary><c>MapMeowstikHub</c>: paths under a prefix or a route group, over real Kestrel sockets on 127.0.0.1.</summary>
public sealed class HubEndpointTests
{
    [Fact]
    public async Task A_prefix_puts_every_mesh_endpoint_under_it()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { MapEndpoints = app => app.MapMeowstikHub("/mesh/") });
        using var http = new HttpClient { BaseAddress = host.BaseUri };

        await using TestMeshClient car = await host.ConnectDeviceAsync("car-001", path: "/mesh/ws/vehicle/car-001");
        Assert.Equal(MeshPathKind.Vehicle, host.Hub.GetDeviceState("car-001")!.Registration.PathKind);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/mesh/ws/mesh")).StatusCode);   // mapped, not a WebSocket
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/ws/mesh")).StatusCode);
        string token = await TokenAsync(host, "tv-001");
        await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => host.ConnectAsync(token, "/ws/mesh"));
    }

    [Fact]
    public async Task The_prefix_can_come_from_the_endpoint_options()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { ConfigureServices = s => s.Configure<MeshHubEndpointOptions>(o => o.PathPrefix = "/edge") });

        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001", path: "/edge/ws/mesh");
        await AssertQueryRoundTripAsync(host, tv, "tv-001");
    }

    [Fact]
    public async Task Inside_a_route_group_the_upgrade_succeeds_without_UseWebSockets()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { MapEndpoints = app => app.MapGroup("/mesh").MapMeowstikHub() });
        using var http = new HttpClient { BaseAddress = host.BaseUri };

        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001", path: "/mesh/ws/mesh");
        await using TestMeshClient pi = await host.ConnectDeviceAsync("pi-001", path: "/mesh/ws/homeserver/pi-001");
        await AssertQueryRoundTripAsync(host, tv, "tv-001");
        Assert.Equal(MeshPathKind.HomeServer, host.Hub.GetDeviceState("pi-001")!.Registration.PathKind);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/mesh/ws/mesh")).StatusCode);
    }

    [Fact]
    public async Task Http2_websockets_are_accepted_inside_a_route_group()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { ConfigureServices = s => s.Configure<KestrelServerOptions>(k => k.ConfigureEndpointDefaults(l => l.Protocols = HttpProtocols.Http2)), MapEndpoints = app => app.MapGroup("/mesh").MapMeowstikHub() });
        string token = await TokenAsync(host, "tv-001");

        await using TestMeshClient tv = await TestMeshClient.ConnectHttp2Async(host.WebSocketUri("/mesh/ws/mesh"), bearer: token);
        Assert.Equal(HttpStatusCode.OK, tv.Socket.HttpStatusCode);   // RFC 8441: 200 to the extended CONNECT (HTTP/1.1 would be 101)
        await tv.RegisterAsync("tv-001", ["test"]);
        await AssertQueryRoundTripAsync(host, tv, "tv-001");
    }

    [Fact]
    public async Task A_client_that_resets_its_connection_is_a_disconnect_not_a_hub_shutdown()
    {
        var logs = new CapturingLoggerProvider();
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { ConfigureHub = o =>
            {
                o.MaxPendingRequestsPerConnection = 1;
                o.DefaultRequestTimeout = TimeSpan.FromSeconds(1);
            }, ConfigureServices = s => s.AddLogging(b =>
            {
                b.AddProvider(logs);
                b.SetMinimumLevel(LogLevel.Information);
            }) });
        await using TestMeshClient observer = await host.ConnectUserAsync(MeshRole.Creator, "creator-001");
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        IssuedToken token = await host.IssueTokenAsync(MeshRole.Creator, "controller-001");
        TestMeshClient controller = await TestMeshClient.ConnectResettableAsync(host.WebSocketUri(), bearer: token.Secret);
        await controller.RegisterAsync("controller-001", []);
        // One unanswered command: the controller's connection is at its request budget, so the hub is not reading it when
        // the TCP connection is reset (the moment ASP.NET Core's RequestAborted fires first).
        await controller.SendAsync("""{"id":"c1","type":"command","to":"tv-001","payload":{"action":"power"}}""");
        await tv.ReceiveTypeAsync("command");

        controller.Socket.Abort();   // lingers 0 s: the TCP connection is reset, no close handshake
        await controller.DisposeAsync();

        await observer.ReceiveAsync(m => m.IsEvent("device_offline") && m.Payload().Str("device_id") == "controller-001");
        await Eventually.TrueAsync(() => host.Hub.ConnectionCount == 2, "the hub let the reset connection go");
        Assert.DoesNotContain(logs.Lines, l => l.Category.StartsWith("Meowstik", StringComparison.Ordinal) && l.Text.Contains("with 1001", StringComparison.Ordinal));
    }

    private static async Task<string> TokenAsync(MeshTestHub host, string deviceId) => (await host.IssueDeviceAsync(deviceId)).Secret;

    private static async Task AssertQueryRoundTripAsync(MeshTestHub host, TestMeshClient device, string deviceId)
    {
        Task<MeshReply> reply = host.Hub.QueryAsync(deviceId, "status");
        JsonElement query = await device.ReceiveTypeAsync("query");
        await device.SendAsync($$$"""{"type":"response","correlation_id":"{{{query.Str("id")}}}","payload":{"ok":true}}""");
        Assert.True((await reply.WaitAsync(TestMeshClient.DefaultTimeout)).Payload.GetProperty("ok").GetBoolean());
    }
}
