using System.Collections.Concurrent;
using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;

namespace Meowstik.Hub.Tests.Attacks;

/// <summary>
/// Finding 4: one family token opened many connections and filled the hub-wide pending-request table with long timeouts, so
/// every request in the mesh got <c>overloaded</c> for ten minutes, the host API's included.
/// </summary>
public sealed class PendingRequestAttackTests
{
    [Fact]
    public async Task One_token_cannot_hold_more_than_its_budget_of_pending_requests_and_others_keep_working()
    {
        const int PerConnection = 50, PerToken = 120, Connections = 4, Sent = 100;
        await using MeshTestHub host = await MeshTestHub.StartAsync(o =>
        {
            o.MaxPendingRequestsPerConnection = PerConnection;
            o.MaxPendingRequestsPerToken = PerToken;
            o.RateLimitBurst = 10_000;
        });
        await using TestMeshClient silent = await host.ConnectDeviceAsync("tv-001"); // never answers
        await using TestMeshClient answering = await host.ConnectDeviceAsync("tv-002");
        IssuedToken family = await host.IssueTokenAsync(MeshRole.Family, "attacker", "tv-001");
        var attackers = new List<TestMeshClient>();
        for (int c = 0; c < Connections; c++)
        {
            TestMeshClient attacker = await host.ConnectAsync(family.Secret);
            await attacker.RegisterAsync($"family-attacker-{c}", []);
            attackers.Add(attacker);
        }
        // Senders run in the background: a connection at its own budget is no longer read (it is paused, not refused).
        var sending = attackers.Select((attacker, c) => Task.Run(async () =>
        {
            for (int i = 0; i < Sent; i++)
            {
                await attacker.SendAsync($$$"""{"id":"a{{{c}}}-{{{i}}}","type":"query","to":"tv-001","payload":{"action":"status","timeout_ms":600000}}""");
            }
        })).ToList();

        await Eventually.TrueAsync(() => host.Hub.PendingRequestCount == PerToken, "the token's budget filled up");
        // The fourth connection's requests past the token's budget are refused with a typed, correlated error.
        JsonElement refused = await WaitForOverloadedAsync(attackers);
        Assert.StartsWith("a", refused.Str("correlation_id"));
        Assert.Equal(PerToken, host.Hub.PendingRequestCount);

        // Everyone else is untouched: a creator's request and the host API still get answers.
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");
        await creator.SendAsync("""{"id":"mine","type":"query","to":"tv-002","payload":{"action":"status"}}""");
        await Answer(answering);
        Assert.Equal("response", (await creator.ReceiveAsync(m => m.Str("correlation_id") == "mine")).Type());
        Task<MeshReply> fromHost = host.Hub.QueryAsync("tv-002", "status");
        await Answer(answering);
        Assert.Equal("tv-002", (await fromHost).From);
        Assert.True(host.Hub.PendingRequestCount <= PerToken);
        foreach (TestMeshClient attacker in attackers) await attacker.DisposeAsync();
    }

    private static async Task<JsonElement> WaitForOverloadedAsync(List<TestMeshClient> clients)
    {
        var found = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource(TestMeshClient.DefaultTimeout);
        foreach (TestMeshClient client in clients)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    found.TrySetResult(await client.ReceiveAsync(m => m.ErrorCode() == "overloaded"));
                }
                catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
                {
                }
            });
        }
        return await found.Task.WaitAsync(cts.Token);
    }

    private static async Task Answer(TestMeshClient device)
    {
        JsonElement query = await device.ReceiveTypeAsync("query");
        await device.SendAsync($$$"""{"type":"response","correlation_id":"{{{query.Str("id")}}}","payload":{"ok":true}}""");
    }
}
