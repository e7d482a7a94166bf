using Meowstik.Agent;
using Meowstik.LoadTest.Messages;
using Meowstik.LoadTest.Systems;

namespace Meowstik.LoadTest.Scenarios;

/// <summary><see cref="MeshAgent"/>s (the SDK's device side) connected to the hub, each with its own device token.</summary>
internal sealed class AgentFleet : IReconnectingFleet
{
    private readonly MeshAgent[] _agents;
    private readonly int[] _wentOffline;
    private readonly Task[] _runs;
    private readonly CancellationTokenSource _stop = new();

    private AgentFleet(HubSystem hub, int count, ExponentialBackoffPolicy policy, string policyName)
    {
        Policy = policyName;
        _agents = new MeshAgent[count];
        _wentOffline = new int[count];
        _runs = new Task[count];
        for (int i = 0; i < count; i++)
        {
            var options = new MeshAgentOptions
            {
                HubUri = hub.MeshUri,
                DeviceId = DeviceNames.Agent(i),
                DeviceType = "loadtest",
                Token = hub.TokenOf(DeviceNames.Agent(i)),
                ReconnectPolicy = policy,
            };
            int index = i;
            _agents[i] = new MeshAgent(options);
            _agents[i].StateChanged += (_, e) =>
            {
                if (e.Current != AgentState.Online) Volatile.Write(ref _wentOffline[index], 1);
            };
        }
        for (int i = 0; i < count; i++) _runs[i] = _agents[i].RunAsync(_stop.Token);
    }

    public int Count => _agents.Length;

    public string Policy { get; }

    /// <summary>Agents with the SDK's default backoff (full jitter, 1 s doubling to 60 s).</summary>
    public static AgentFleet WithDefaultBackoff(HubSystem hub, int count) =>
        new(hub, count, new ExponentialBackoffPolicy(), "MeshAgent default: full jitter, 1 s doubling to 60 s");

    /// <summary>Agents tuned as a deployment with a local hub would: full jitter, 250 ms doubling to 5 s.</summary>
    public static AgentFleet WithTunedBackoff(HubSystem hub, int count) =>
        new(hub, count, new ExponentialBackoffPolicy { InitialDelay = TimeSpan.FromMilliseconds(250), MaxDelay = TimeSpan.FromSeconds(5) },
            "tuned: full jitter, 250 ms doubling to 5 s");

    public int OnlineCount() => _agents.Count(a => a.IsOnline);

    public void ArmRestart() => Array.Clear(_wentOffline);

    public int ReconnectedCount()
    {
        int count = 0;
        for (int i = 0; i < _agents.Length; i++)
        {
            if (Volatile.Read(ref _wentOffline[i]) == 1 && _agents[i].IsOnline) count++;
        }
        return count;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Parallel.ForEachAsync(_agents, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (agent, _) => await agent.DisposeAsync().ConfigureAwait(false)).ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_runs).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
