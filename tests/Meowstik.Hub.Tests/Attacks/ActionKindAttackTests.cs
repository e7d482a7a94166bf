using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;

namespace Meowstik.Hub.Tests.Attacks;

/// <summary>Finding 1: a family token ran a command handler by sending the command's action as a <c>query</c>.</summary>
public sealed class ActionKindAttackTests
{
    [Fact]
    public async Task A_family_token_cannot_run_a_command_by_sending_it_as_a_query()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient car = await ConnectCarAsync(host);
        await using TestMeshClient family = await host.ConnectUserAsync(MeshRole.Family, "family-mom", "car-1");

        await family.SendAsync("""{"id":"attack","type":"query","to":"car-1","payload":{"action":"unlock","params":{"pin":"4711"}}}""");
        JsonElement error = await family.ReceiveAsync(m => m.Str("correlation_id") == "attack");
        Assert.Equal("forbidden", error.ErrorCode());
        Assert.True(await car.NothingMatchingAsync(m => m.Type() is "query" or "command", TimeSpan.FromMilliseconds(300)), "the car never saw the request");

        // The declared query still works for the same token.
        await family.SendAsync("""{"id":"ok","type":"query","to":"car-1","payload":{"action":"status"}}""");
        Assert.Equal("ok", (await car.ReceiveTypeAsync("query")).Str("id"));
    }

    [Fact]
    public async Task A_broadcast_query_does_not_reach_a_device_for_which_the_action_is_a_command()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient car = await ConnectCarAsync(host);
        await using TestMeshClient legacy = await host.ConnectDeviceAsync("tv-001");
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");

        await creator.SendAsync("""{"id":"b1","type":"query","to":"broadcast","payload":{"action":"unlock"}}""");
        // A device that declared no kinds (legacy) still gets it; the car, for which unlock is a command, does not.
        Assert.Equal("b1", (await legacy.ReceiveTypeAsync("query")).Str("id"));
        Assert.True(await car.NothingMatchingAsync(m => m.Type() == "query", TimeSpan.FromMilliseconds(300)));
    }

    internal static async Task<TestMeshClient> ConnectCarAsync(MeshTestHub host)
    {
        IssuedToken token = await host.IssueDeviceAsync("car-1");
        TestMeshClient car = await host.ConnectAsync(token.Secret);
        await car.SendAsync("""{"id":"reg","type":"register","from":"car-1","payload":{"capabilities":["car"],"queries":["status"],"commands":["unlock"]}}""");
        await car.ReceiveTypeAsync("response");
        return car;
    }
}
