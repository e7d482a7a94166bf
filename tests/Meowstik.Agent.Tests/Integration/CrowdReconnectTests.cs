using Meowstik.Agent;
using Meowstik.Hub.Core;
using Xunit.Abstractions;

namespace Meowstik.Agent.Tests.Integration;

/// <summary>Many agents losing the same hub: they all come back, spread out by the jittered backoff.</summary>
/// <remarks>Runs alone: 200 agents would otherwise starve the timing of tests running beside it.</remarks>
[Collection(nameof(CrowdCollection))]
public sealed class CrowdReconnectTests
{
    private const int AgentCount = 200;
    private readonly ITestOutputHelper _output;

    public CrowdReconnectTests(ITestOutputHelper output)
    {
        _output = output;
    }

    private sealed class PingCapability : MeshCapability
    {
        public PingCapability()
            : base("ping")
        {
            Handle("ping", _ => CommandResult.Ok());
        }
    }

    [Fact]
    public async Task Two_hundred_agents_all_come_back_online_after_a_hub_restart()
    {
        await using MeshTestHub hub = await MeshTestHub.StartAsync(o => o.HeartbeatInterval = TimeSpan.FromSeconds(30));
        string[] tokens = await Task.WhenAll(Enumerable.Range(0, AgentCount).Select(i =>
            hub.IssueDeviceTokenAsync($"pi-{i:D3}")));
        var agents = new MeshAgent[AgentCount];
        var registeredAt = new DateTimeOffset?[AgentCount];
        using var stop = new CancellationTokenSource();
        var runs = new Task[AgentCount];
        for (int i = 0; i < AgentCount; i++)
        {
            agents[i] = new MeshAgent(
                new MeshAgentOptions
                {
                    HubUri = hub.MeshUri,
                    DeviceId = $"pi-{i:D3}",
                    DeviceType = "home_server",
                    Token = tokens[i],
                    ReconnectPolicy = new ExponentialBackoffPolicy { InitialDelay = TimeSpan.FromMilliseconds(500), MaxDelay = TimeSpan.FromSeconds(2) },
                    KeepAliveInterval = TimeSpan.FromSeconds(30),
                },
                [new PingCapability()]);
            runs[i] = agents[i].RunAsync(stop.Token);
        }

        try
        {
            await Task.WhenAll(agents.Select(a => a.WaitUntilOnlineAsync())).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(AgentCount, hub.Hub.ConnectedDeviceCount);

            await hub.StopAsync();
            await Task.WhenAll(agents.Select(a => a.WaitForStateAsync(AgentState.Disconnected))).WaitAsync(TimeSpan.FromSeconds(30));

            for (int i = 0; i < AgentCount; i++)
            {
                int index = i;
                agents[i].StateChanged += (_, e) =>
                {
                    if (e.Current == AgentState.Online)
                    {
                        registeredAt[index] ??= DateTimeOffset.UtcNow;
                    }
                };
            }

            DateTimeOffset restartedAt = DateTimeOffset.UtcNow;
            await hub.StartAgainAsync();
            await Task.WhenAll(agents.Select(a => a.WaitUntilOnlineAsync())).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(AgentCount, hub.Hub.ConnectedDeviceCount);
            Assert.All(agents, a => Assert.True(hub.Hub.IsOnline(a.DeviceId)));

            // They came back spread over the backoff window, not in one burst.
            TimeSpan[] delays = registeredAt.Select(t => t!.Value - restartedAt).Order().ToArray();
            TimeSpan spread = delays[^1] - delays[0];
            _output.WriteLine($"first back after {delays[0].TotalMilliseconds:0} ms, last after {delays[^1].TotalMilliseconds:0} ms, median {delays[AgentCount / 2].TotalMilliseconds:0} ms");
            Assert.True(spread > TimeSpan.FromMilliseconds(300), $"reconnects spread over only {spread.TotalMilliseconds:0} ms");

            // Every one of them serves commands again.
            MeshReply[] pongs = await Task.WhenAll(agents.Take(20).Select(a => hub.Hub.SendCommandAsync(a.DeviceId, "ping", timeout: TimeSpan.FromSeconds(10))));
            Assert.Equal(20, pongs.Length);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(30));
            foreach (MeshAgent agent in agents)
            {
                await agent.DisposeAsync();
            }
        }
    }
}

/// <summary>A collection that does not run in parallel with any other test.</summary>
[CollectionDefinition(nameof(CrowdCollection), DisableParallelization = true)]
public sealed class CrowdCollection;
