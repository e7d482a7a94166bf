using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Meowstik.Hub.Tests.Security;

/// <summary>Each role's allowed and denied actions, over real sockets (design document, Security Model).</summary>
public sealed class RoleTests
{
    [Fact]
    public async Task Creator_may_command_and_query_any_device()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");

        await creator.SendAsync("""{"id":"c","type":"command","to":"tv-001","payload":{"action":"power"}}""");
        Assert.Equal("c", (await tv.ReceiveTypeAsync("command")).Str("id"));
        await creator.SendAsync("""{"id":"q","type":"query","to":"tv-001","payload":{"action":"status"}}""");
        Assert.Equal("q", (await tv.ReceiveTypeAsync("query")).Str("id"));
    }

    [Fact]
    public async Task Family_may_only_query_permitted_devices()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001");
        await using TestMeshClient family = await host.ConnectUserAsync(MeshRole.Family, "family-mom-phone", "tv-001");

        await family.SendAsync("""{"id":"q","type":"query","to":"tv-001","payload":{"action":"status"}}""");
        Assert.Equal("q", (await tv.ReceiveTypeAsync("query")).Str("id"));

        await family.SendAsync("""{"id":"c","type":"command","to":"tv-001","payload":{"action":"power"}}""");
        JsonElement denied = await family.ReceiveAsync(m => m.Str("correlation_id") == "c");
        Assert.Equal("forbidden", denied.ErrorCode());
        Assert.Contains("family_read_only", denied.Payload().Str("message"));

        await family.SendAsync("""{"id":"q2","type":"query","to":"desktop-001","payload":{"action":"status"}}""");
        Assert.Contains("device_not_permitted", (await family.ReceiveAsync(m => m.Str("correlation_id") == "q2")).Payload().Str("message"));

        await family.SendAsync("""{"id":"l","type":"query","to":"hub","payload":{"action":"list_devices"}}""");
        JsonElement list = await family.ReceiveAsync(m => m.Str("correlation_id") == "l");
        Assert.Equal(["tv-001"], list.Payload().GetProperty("result").GetProperty("devices").EnumerateArray().Select(d => d.Str("device_id")!).ToArray());

        Assert.True(await tv.NothingMatchingAsync(m => m.Type() == "command", TimeSpan.FromMilliseconds(100)));
        Assert.True(await desktop.NothingMatchingAsync(m => m.Type() == "query", TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task Guest_has_no_device_access()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        await using TestMeshClient guest = await host.ConnectUserAsync(MeshRole.Guest, "guest-phone");

        await guest.SendAsync("""{"id":"q","type":"query","to":"tv-001","payload":{"action":"status"}}""");
        Assert.Contains("guest_no_device_access", (await guest.ReceiveAsync(m => m.Str("correlation_id") == "q")).Payload().Str("message"));
        await guest.SendAsync("""{"id":"s","type":"query","to":"hub","payload":{"action":"get_state","params":{"device_id":"tv-001"}}}""");
        Assert.Equal("forbidden", (await guest.ReceiveAsync(m => m.Str("correlation_id") == "s")).ErrorCode());
        await guest.SendAsync("""{"id":"l","type":"query","to":"hub","payload":{"action":"list_devices"}}""");
        JsonElement list = await guest.ReceiveAsync(m => m.Str("correlation_id") == "l");
        Assert.Equal(0, list.Payload().GetProperty("result").GetProperty("devices").GetArrayLength());
        Assert.True(await tv.NothingMatchingAsync(m => m.Type() == "query", TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task Device_may_command_only_where_granted_and_denials_are_audited()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient alexa = await host.ConnectDeviceAsync("alexa-001");
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        await using TestMeshClient homeServer = await host.ConnectDeviceAsync("homeserver-001", commandGrants: ["tv-001"]);

        await homeServer.SendAsync("""{"id":"ok","type":"command","to":"tv-001","payload":{"action":"power"}}""");
        Assert.Equal("ok", (await tv.ReceiveTypeAsync("command")).Str("id"));

        await homeServer.SendAsync("""{"id":"no","type":"command","to":"alexa-001","payload":{"action":"speak"}}""");
        JsonElement denied = await homeServer.ReceiveAsync(m => m.Str("correlation_id") == "no");
        Assert.Contains("not_granted", denied.Payload().Str("message"));
        Assert.True(await alexa.NothingMatchingAsync(m => m.Type() == "command", TimeSpan.FromMilliseconds(100)));

        IAuditSink audit = host.Services.GetRequiredService<IAuditSink>();
        await audit.FlushAsync();
        IReadOnlyList<AuditRecord> rows = await audit.QueryAsync(new AuditQuery { DeviceId = "homeserver-001" });
        Assert.Contains(rows, r => r.Kind == AuditKind.Auth && r.Outcome == AuditOutcome.Denied && r.Reason == "not_granted" && r.To == "alexa-001");
        Assert.Contains(rows, r => r.Kind == AuditKind.Message && r.Outcome == AuditOutcome.Rejected && r.MessageId == "no");
        Assert.Contains(rows, r => r.Kind == AuditKind.Message && r.Outcome == AuditOutcome.Delivered && r.MessageId == "ok" && r.To == "tv-001");
    }

    [Fact]
    public async Task A_token_that_expires_while_connected_ends_the_session_even_if_it_only_heartbeats()
    {
        // Attack (issue 8, finding 7): a short-lived token keeps its session by sending only heartbeats, never re-authorized.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { TimeProvider = time });
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        IssuedToken shortLived = await host.Hub.IssueTokenAsync(new TokenIssueRequest
        {
            Role = MeshRole.Creator, Subject = "visitor", Lifetime = TimeSpan.FromMinutes(5),
        });
        await using TestMeshClient creator = await host.ConnectAsync(shortLived.Secret);
        await creator.RegisterAsync("visitor-phone", []);

        // Heartbeats keep both alive while the token is valid.
        for (int i = 0; i < 4; i++)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            foreach (TestMeshClient client in new[] { tv, creator })
            {
                await client.SendAsync("""{"type":"heartbeat"}""");
                await client.ReceiveTypeAsync("heartbeat");
            }
        }
        // Past the expiry the session ends by itself (the expiry is on the hub's deadline timer), heartbeats or not.
        await Eventually.AdvanceUntilAsync(time, TimeSpan.FromSeconds(10), () => creator.Closed.IsCompleted, "the expired session was closed");
        Assert.Equal(4001, (int)(await creator.WaitClosedAsync())!);
        Assert.Equal("unauthorized", (await creator.ReceiveTypeAsync("error")).ErrorCode());
        Assert.False(host.Hub.IsOnline("visitor-phone"));
        Assert.True(host.Hub.IsOnline("tv-001"));
    }

    [Fact]
    public async Task A_heartbeat_from_an_expired_token_is_refused_and_ends_the_session()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { ConfigureHub = o => o.TimerResolution = TimeSpan.FromHours(1), TimeProvider = time });
        IssuedToken shortLived = await host.Hub.IssueTokenAsync(new TokenIssueRequest
        {
            Role = MeshRole.Creator, Subject = "visitor", Lifetime = TimeSpan.FromMinutes(5),
        });
        await using TestMeshClient creator = await host.ConnectAsync(shortLived.Secret);
        await creator.RegisterAsync("visitor-phone", []);
        // The clock passes the expiry without the timer having fired yet (coarse resolution): the heartbeat itself is checked.
        time.Advance(TimeSpan.FromMinutes(6));
        await creator.SendAsync("""{"id":"hb","type":"heartbeat"}""");
        Assert.Equal("unauthorized", (await creator.ReceiveAsync(m => m.Str("correlation_id") == "hb")).ErrorCode());
        Assert.Equal(4001, (int)(await creator.WaitClosedAsync())!);
    }

    [Fact]
    public async Task Revoking_a_token_closes_the_live_connection_with_4004()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync();
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");
        IssuedToken token = await host.IssueDeviceAsync("desktop-001");
        await using TestMeshClient desktop = await host.ConnectAsync(token.Secret);
        await desktop.RegisterAsync("desktop-001", ["x"]);

        Assert.True(await host.Hub.RevokeTokenAsync(token.TokenId));

        Assert.Equal("unauthorized", (await desktop.ReceiveTypeAsync("error")).ErrorCode());
        Assert.Equal(4004, (int)(await desktop.WaitClosedAsync())!);
        await creator.ReceiveAsync(m => m.IsEvent("device_offline") && m.Payload().Str("device_id") == "desktop-001");

        // The revoked token cannot come back.
        await using TestMeshClient again = await host.ConnectAsync(token.Secret);
        await again.SendAsync("""{"type":"register","from":"desktop-001","payload":{"capabilities":[]}}""");
        Assert.Equal("unauthorized", (await again.ReceiveTypeAsync("error")).ErrorCode());
        Assert.Equal(4004, (int)(await again.WaitClosedAsync())!);
    }
}
