using Meowstik.Hub.Auth;
using Meowstik.Hub.Tests.Fixtures;

namespace Meowstik.Hub.Tests.Connections;

public sealed class SlowConsumerTests
{
    [Fact]
    public async Task A_client_that_never_reads_does_not_delay_others_and_is_closed_on_overflow()
    {
        await using HubTestHost host = await HubTestHost.StartAsync(o =>
        {
            o.OutboundQueueCapacity = 32;
            o.RateLimitBurst = 100_000;
            o.RateLimitPerSecond = 100_000;
        });
        await using TestMeshClient healthy = await host.ConnectDeviceAsync("healthy-001");
        IssuedToken stuckToken = await host.IssueDeviceTokenAsync("stuck-001");
        await using TestMeshClient stuck = await TestMeshClient.ConnectAsync(host.WebSocketUri(token: stuckToken.Secret), receive: false);
        await stuck.SendAsync("""{"type":"register","from":"stuck-001","payload":{"capabilities":[]}}""");
        await Eventually.TrueAsync(() => host.Hub.IsOnline("stuck-001"), "the stuck client registered");
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");

        string filler = new('x', 32 * 1024);
        int healthySent = 0;
        // Far more than the socket buffers plus the queue can hold for the stuck client.
        for (int i = 0; i < 5000 && host.Hub.IsOnline("stuck-001"); i++)
        {
            await creator.SendAsync($$$"""{"id":"s{{{i}}}","type":"event","to":"stuck-001","payload":{"event":"fill","blob":"{{{filler}}}"}}""");
            if (i % 10 == 0)
            {
                await creator.SendAsync($$$"""{"id":"h{{{healthySent}}}","type":"command","to":"healthy-001","payload":{"action":"ping"}}""");
                healthySent++;
            }
        }

        await Eventually.TrueAsync(() => !host.Hub.IsOnline("stuck-001"), "the stuck client was closed on overflow");
        for (int i = 0; i < healthySent; i++)
        {
            Assert.Equal($"h{i}", (await healthy.ReceiveTypeAsync("command")).Str("id"));
        }
        await creator.SendAsync("""{"id":"after","type":"command","to":"healthy-001","payload":{"action":"ping"}}""");
        Assert.Equal("after", (await healthy.ReceiveTypeAsync("command")).Str("id"));
        Assert.True(host.Hub.DroppedMessageCount > 0);
    }
}
