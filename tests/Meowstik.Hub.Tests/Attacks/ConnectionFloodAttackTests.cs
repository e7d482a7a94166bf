using System.Net.WebSockets;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meowstik.Hub.Tests.Attacks;

/// <summary>
/// Finding 10 (unauthenticated sockets held every connection slot, and each refusal wrote a warning) and finding 11 (a huge
/// registration manifest), plus the per-token and per-address connection budgets.
/// </summary>
public sealed class ConnectionFloodAttackTests
{
    [Fact]
    public async Task Tokenless_sockets_fill_only_the_small_pre_authentication_pool_and_a_device_with_a_token_still_gets_in()
    {
        var capture = new CapturingLoggerProvider();
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { ConfigureHub = o =>
        {
            o.MaxConnections = 40;
            o.MaxUnauthenticatedConnections = 10;
            o.MaxUnauthenticatedConnectionsPerAddress = 1000;
            o.RegistrationTimeout = TimeSpan.FromMinutes(1);
        }, ConfigureServices = s => s.AddLogging(b => b.AddProvider(capture)) });
        using var meters = new HubMeterRecorder(host);
        var flood = new List<TestMeshClient>();
        for (int i = 0; i < 30; i++) flood.Add(await host.ConnectAsync());
        await Eventually.TrueAsync(() => flood.Count(c => c.Closed.IsCompleted) == 20, "20 tokenless sockets past the pool were refused");
        Assert.All(flood.Where(c => c.Closed.IsCompleted), c => Assert.Equal(1013, (int)c.Closed.Result!));
        Assert.Equal(20, meters["meowstik.hub.connections.refused[limit=unauthenticated_pool_full]"]);

        // The pool is full, yet a device presenting its token at the upgrade registers at once.
        await using TestMeshClient device = await host.ConnectDeviceAsync("car-2");
        Assert.True(host.Hub.IsOnline("car-2"));

        // Twenty refusals wrote one warning line (the rest are summed up later), not twenty.
        Assert.Single(capture.Lines, l => l.Level == LogLevel.Warning && l.Text.StartsWith("Refused a connection", StringComparison.Ordinal));
        foreach (TestMeshClient client in flood) await client.DisposeAsync();
    }

    [Fact]
    public async Task One_address_holds_at_most_its_share_of_unauthenticated_sockets()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o => o.MaxUnauthenticatedConnectionsPerAddress = 5);
        var flood = new List<TestMeshClient>();
        for (int i = 0; i < 8; i++) flood.Add(await host.ConnectAsync());
        await Eventually.TrueAsync(() => flood.Count(c => c.Closed.IsCompleted) == 3, "3 sockets past the per-address share were refused");
        await Task.Delay(200);
        Assert.Equal(3, flood.Count(c => c.Closed.IsCompleted));
        foreach (TestMeshClient client in flood) await client.DisposeAsync();
    }

    [Fact]
    public async Task A_register_message_with_a_megabyte_of_capabilities_closes_the_connection_unread()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        IssuedToken token = await host.IssueDeviceAsync("dev-1");
        await using TestMeshClient client = await host.ConnectAsync(token.Secret);
        string capabilities = string.Join(",", Enumerable.Range(0, 40_000).Select(i => $"\"capability-{i:D10}\""));
        await client.SendAsync($$$"""{"type":"register","from":"dev-1","payload":{"capabilities":[{{{capabilities}}}]}}""");
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await client.WaitClosedAsync());
        Assert.False(host.Hub.IsOnline("dev-1"));
    }

    [Fact]
    public async Task One_token_holds_at_most_its_connection_budget()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o => o.MaxConnectionsPerToken = 2);
        IssuedToken token = await host.IssueTokenAsync(MeshRole.Creator, "creator");
        await using TestMeshClient a = await host.ConnectAsync(token.Secret);
        await a.RegisterAsync("creator-a", []);
        await using TestMeshClient b = await host.ConnectAsync(token.Secret);
        await b.RegisterAsync("creator-b", []);
        await using TestMeshClient c = await host.ConnectAsync(token.Secret);
        await c.SendAsync("""{"id":"reg","type":"register","from":"creator-c","payload":{"capabilities":[]}}""");
        Assert.Equal("overloaded", (await c.ReceiveAsync(m => m.Str("correlation_id") == "reg")).ErrorCode());
        Assert.Equal(1013, (int)(await c.WaitClosedAsync())!);
        Assert.True(host.Hub.IsOnline("creator-a") && host.Hub.IsOnline("creator-b"));
    }
}
