using Meowstik.Agent;

namespace Meowstik.Agent.Tests.Testing;

public class MeshTestHubTests
{
    [Fact]
    public async Task In_memory_stores_leave_no_database_and_an_agent_registers()
    {
        await using MeshTestHub hub = await MeshTestHub.StartAsync(new MeshTestHubOptions { InMemoryStores = true });
        string token = await hub.IssueDeviceTokenAsync("mem-001");
        await using var agent = new MeshAgent(new MeshAgentOptions { HubUri = hub.MeshUri, DeviceId = "mem-001", Token = token }, []);
        using var stop = new CancellationTokenSource();
        Task run = agent.RunAsync(stop.Token);
        await agent.WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(hub.Hub.IsOnline("mem-001"));
        Assert.False(File.Exists(hub.DatabasePath));
        Assert.Equal("ws", hub.MeshUri.Scheme);
        Assert.Equal(hub.Port, hub.WebSocketUri("/ws/vehicle/mem-001", "t k").Port);
        Assert.Contains("token=t%20k", hub.WebSocketUri("/ws/vehicle/mem-001", "t k").Query);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_given_data_directory_is_kept_and_shared_by_the_next_hub()
    {
        string directory = Path.Combine(Path.GetTempPath(), "meowstik-kit-tests", Guid.NewGuid().ToString("N"));
        try
        {
            string token;
            await using (MeshTestHub first = await MeshTestHub.StartAsync(new MeshTestHubOptions { DataDirectory = directory }))
            {
                token = await first.IssueDeviceTokenAsync("keep-001");
            }

            Assert.True(Directory.Exists(directory));
            await using MeshTestHub second = await MeshTestHub.StartAsync(new MeshTestHubOptions { DataDirectory = directory });
            Assert.Contains(await second.Hub.ListTokensAsync(), t => t.DeviceId == "keep-001");
            Assert.False(string.IsNullOrEmpty(token));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
