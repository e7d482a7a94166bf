using System.Net.WebSockets;
using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;

namespace Meowstik.Hub.Tests.Attacks;

/// <summary>Finding 8 and the low items on ids and broadcasts: squatting device ids, speaking as the hub, overhearing broadcasts.</summary>
public sealed class IdentityAttackTests
{
    [Theory]
    [InlineData(MeshRole.Guest, "car-1")]
    [InlineData(MeshRole.Family, "car-1")]
    [InlineData(MeshRole.Guest, "hub")]
    [InlineData(MeshRole.Family, "hub")]
    [InlineData(MeshRole.Creator, "hub")]
    [InlineData(MeshRole.Creator, "broadcast")]
    [InlineData(MeshRole.Creator, "guest-eve")]
    public async Task A_client_cannot_register_under_a_device_id_or_a_reserved_id(MeshRole role, string id)
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        IssuedToken token = await host.IssueTokenAsync(role, "attacker", "car-1");
        await using TestMeshClient client = await host.ConnectAsync(token.Secret);
        await client.SendAsync($$$"""{"id":"reg","type":"register","from":"{{{id}}}","payload":{"capabilities":[]}}""");
        Assert.Equal("forbidden", (await client.ReceiveAsync(m => m.Str("correlation_id") == "reg")).ErrorCode());
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await client.WaitClosedAsync());
        Assert.False(host.Hub.IsOnline(id));
    }

    [Fact]
    public async Task A_guest_never_receives_a_creators_command_meant_for_a_device_that_has_not_connected_yet()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient guest = await host.ConnectUserAsync(MeshRole.Guest, "guest-eve");
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");
        await creator.SendAsync("""{"id":"c1","type":"command","to":"car-1","payload":{"action":"unlock_doors","params":{"pin":"4711"}}}""");
        Assert.Equal("unknown_device", (await creator.ReceiveAsync(m => m.Str("correlation_id") == "c1")).ErrorCode());
        Assert.True(await guest.NothingMatchingAsync(m => m.Type() == "command", TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Guests_and_family_receive_no_broadcast_commands_or_host_broadcasts()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient device = await host.ConnectDeviceAsync("tv-001");
        await using TestMeshClient guest = await host.ConnectUserAsync(MeshRole.Guest, "guest-eve");
        await using TestMeshClient family = await host.ConnectUserAsync(MeshRole.Family, "family-mom", "tv-001");
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");

        await creator.SendAsync("""{"id":"b","type":"command","to":"broadcast","payload":{"action":"lock_all"}}""");
        await host.Hub.BroadcastAsync(Protocol.MessageType.Event, """{"event":"house_mode","mode":"away"}"""u8.ToArray());
        // The device gets both (in either order: the host's broadcast does not wait for the creator's socket).
        var seen = new HashSet<string>();
        while (seen.Count < 2)
        {
            JsonElement message = await device.ReceiveAsync(m => m.Str("id") == "b" || m.IsEvent("house_mode"));
            seen.Add(message.Type()!);
        }
        foreach (TestMeshClient person in new[] { guest, family })
        {
            Assert.True(await person.NothingMatchingAsync(m => m.Type() == "command" || m.IsEvent("house_mode"), TimeSpan.FromMilliseconds(300)));
        }
    }

    [Fact]
    public async Task A_client_id_claimed_by_a_refused_registration_is_free_again()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o => o.MaxConnectionsPerToken = 1);
        IssuedToken token = await host.IssueTokenAsync(MeshRole.Family, "mom", "tv-001");
        await using TestMeshClient first = await host.ConnectAsync(token.Secret);
        await first.RegisterAsync("family-mom-a", []);
        // The token's one place is taken: the second registration is refused, and its id must not stay claimed.
        await using TestMeshClient second = await host.ConnectAsync(token.Secret);
        await second.SendAsync("""{"id":"reg","type":"register","from":"family-mom-b","payload":{"capabilities":[]}}""");
        Assert.Equal("overloaded", (await second.ReceiveAsync(m => m.Str("correlation_id") == "reg")).ErrorCode());
        Assert.Equal(1013, (int)(await second.WaitClosedAsync())!);
        await first.DisposeAsync();
        await Eventually.TrueAsync(() => !host.Hub.IsOnline("family-mom-a"), "the first connection ended");
        await using TestMeshClient third = await host.ConnectAsync(token.Secret);
        await third.RegisterAsync("family-mom-b", []);
        Assert.True(host.Hub.IsOnline("family-mom-b"));
    }
}
