using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;

namespace Meowstik.Hub.Tests.Connections;

/// <summary>The hub composed without ASP.NET Core (<see cref="SqliteMeshHub.CreateAsync"/>, <see cref="MeshHub.CreateAsync"/>) over sockets from WebSocket.CreateFromStream.</summary>
public sealed class BareHostTests
{
    [Fact]
    public async Task Hub_core_serves_websockets_created_from_a_raw_tcp_stream()
    {
        string directory = Path.Combine(Path.GetTempPath(), "meowstik-hub-tests", Guid.NewGuid().ToString("N"));
        try
        {
            string database = Path.Combine(directory, "hub.db");
            await using (MeshHub hub = await SqliteMeshHub.CreateAsync(new MeshHubOptions(), new SqliteHubOptions { DatabasePath = database }))
            {
                await QueryTheCarAsync(hub);
            }

            Assert.True(File.Exists(database));
        }
        finally
        {
            TestDirectory.TryDelete(directory);
        }
    }

    [Fact]
    public async Task Hub_core_runs_on_in_memory_stores_without_a_file()
    {
        MeshHubStores stores = MeshHubStores.InMemory();
        await using (MeshHub hub = await MeshHub.CreateAsync(stores))
        {
            await QueryTheCarAsync(hub);
            IReadOnlyList<AuditRecord> rows = await hub.Audit!.QueryAsync(new AuditQuery { DeviceId = "comma3x-001" });
            Assert.Contains(rows, r => r.Kind == AuditKind.Auth && r.Outcome == AuditOutcome.Allowed);
            Assert.Contains(rows, r => r.MessageType == "register" && r.Outcome == AuditOutcome.Delivered);
        }

        Assert.Single(await stores.Tokens.ListAsync());
    }

    private static async Task QueryTheCarAsync(MeshHub hub)
    {
        await using var listener = new BareWebSocketListener(hub);
        IssuedToken carToken = await hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = "Car", DeviceId = "comma3x-001" });

        await using TestMeshClient car = await TestMeshClient.ConnectAsync(listener.Uri, bearer: carToken.Secret);
        await car.RegisterAsync("comma3x-001", ["gps"]);

        Task<MeshReply> eta = hub.QueryAsync("comma3x-001", "status");
        JsonElement query = await car.ReceiveTypeAsync("query");
        await car.SendAsync($$$"""{"type":"response","correlation_id":"{{{query.Str("id")}}}","payload":{"eta_minutes":12}}""");
        Assert.Equal(12, (await eta.WaitAsync(TestMeshClient.DefaultTimeout)).Payload.GetProperty("eta_minutes").GetInt32());
    }
}
