using System.Text.Json;
using Meowstik.Agent;
using Meowstik.Hub.Core;
using Meowstik.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Meowstik.Agent.Tests.Integration;

/// <summary>The agent against the real hub over loopback WebSockets.</summary>
public sealed class AgentHubIntegrationTests : IAsyncLifetime
{
    private readonly ILoggerFactory _logs;
    private readonly List<MeshAgent> _agents = [];
    private readonly List<(Task Run, CancellationTokenSource Stop)> _runs = [];
    private MeshTestHub _hub = null!;

    public AgentHubIntegrationTests(ITestOutputHelper output)
    {
        _logs = XunitLoggerProvider.Factory(output);
    }

    // Fast heartbeats keep the heartbeat test short; a generous miss allowance keeps a loaded CI machine from
    // timing the agent out while it is busy (the timeout itself is the hub's to test).
    public async Task InitializeAsync() => _hub = await MeshTestHub.StartAsync(o =>
    {
        o.HeartbeatInterval = TimeSpan.FromMilliseconds(300);
        o.MissedHeartbeatsBeforeOffline = 20;
    });

    public async Task DisposeAsync()
    {
        foreach ((Task run, CancellationTokenSource stop) in _runs)
        {
            await stop.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(10));
            stop.Dispose();
        }

        foreach (MeshAgent agent in _agents)
        {
            await agent.DisposeAsync();
        }

        await _hub.DisposeAsync();
    }

    /// <summary>A simulated Comma 3X answering in the design document's shape.</summary>
    private sealed class CarCapability : MeshCapability
    {
        private int _running;

        public CarCapability()
            : base("status")
        {
            HandleQuery("status", _ => CommandResult.Ok(w =>
            {
                w.WriteStartObject("gps");
                w.WriteNumber("lat", 47.1234);
                w.WriteNumber("lng", -122.5678);
                w.WriteEndObject();
                w.WriteNumber("speed_mph", 65);
                w.WriteNumber("eta_minutes", 12);
                w.WriteString("destination", "Ocean Shores Tech");
                w.WriteBoolean("engaged", true);
                w.WriteString("driver_attention", "alert");
            }));
            Handle("boom", _ => throw new InvalidOperationException("CAN bus driver exploded"));
            Handle("stall", async (_, ct) =>
            {
                await Task.Delay(Timeout.Infinite, ct);
                return CommandResult.Ok();
            });
            Handle("work", async (ctx, ct) =>
            {
                int now = Interlocked.Increment(ref _running);
                InterlockedMax(ref _peak, now);
                await Task.Delay(150, ct);
                Interlocked.Decrement(ref _running);
                return CommandResult.Ok(w => w.WriteNumber("job", ctx.GetDouble("job")));
            });
        }

        public int Peak => Volatile.Read(ref _peak);

        private int _peak;

        private static void InterlockedMax(ref int target, int value)
        {
            int current;
            while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
            {
            }
        }
    }

    private sealed class SpeakCapability : MeshCapability
    {
        public SpeakCapability()
            : base("audio_out")
        {
            Handle("speak", ctx => CommandResult.Ok(w => w.WriteString("spoken", ctx.GetString("text"))));
        }
    }

    private async Task<MeshAgent> StartAgentAsync(string deviceId, string token, IEnumerable<IMeshCapability> capabilities, Action<MeshAgentOptions>? configure = null)
    {
        var options = new MeshAgentOptions
        {
            HubUri = _hub.MeshUri,
            DeviceId = deviceId,
            DeviceType = "vehicle",
            DeviceName = "Jason's Comma 3X",
            Token = token,
            ReconnectPolicy = new ExponentialBackoffPolicy { InitialDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1) },
        };
        configure?.Invoke(options);
        var agent = new MeshAgent(options, capabilities, _logs);
        _agents.Add(agent);
        var stop = new CancellationTokenSource();
        _runs.Add((agent.RunAsync(stop.Token), stop));
        await agent.WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(15));
        return agent;
    }

    private async Task<MeshAgent> StartCarAsync(Action<MeshAgentOptions>? configure = null, CarCapability? car = null) =>
        await StartAgentAsync("comma3x-001", await _hub.IssueDeviceTokenAsync("comma3x-001"), [car ?? new CarCapability(), new SpeakCapability()], configure);

    [Fact]
    public async Task Registration_advertises_type_name_and_capabilities_to_the_hub()
    {
        MeshAgent car = await StartCarAsync(o => o.Capabilities.Add("front_camera"));
        Assert.StartsWith("sess_", car.SessionId);
        Assert.Equal(TimeSpan.FromMilliseconds(300), car.HeartbeatInterval);

        DeviceState state = _hub.Hub.GetDeviceState("comma3x-001")!;
        Assert.True(state.IsOnline);
        Assert.Equal("vehicle", state.Registration.DeviceType);
        Assert.Equal("Jason's Comma 3X", state.Registration.DeviceName);
        Assert.Equal(["status", "audio_out", "front_camera"], state.Registration.Capabilities);
        Assert.True(_hub.Hub.IsOnline("comma3x-001"));
    }

    [Fact]
    public async Task Commands_and_queries_round_trip_through_the_hub_to_capabilities()
    {
        await StartCarAsync();
        MeshReply status = await _hub.Hub.QueryAsync("comma3x-001", "status", timeout: TimeSpan.FromSeconds(10));
        Assert.Equal("comma3x-001", status.From);
        JsonElement result = status.Payload.GetProperty("result");
        Assert.Equal("ok", status.Payload.GetProperty("status").GetString());
        Assert.Equal(47.1234, result.GetProperty("gps").GetProperty("lat").GetDouble());
        Assert.Equal(65, result.GetProperty("speed_mph").GetInt32());
        Assert.Equal("alert", result.GetProperty("driver_attention").GetString());

        JsonElement parameters = JsonDocument.Parse("""{"text":"Jason, wake up.","volume":80}""").RootElement;
        MeshReply spoken = await _hub.Hub.SendCommandAsync("comma3x-001", "speak", parameters, TimeSpan.FromSeconds(10));
        Assert.Equal("speak", spoken.Payload.GetProperty("action").GetString());
        Assert.Equal("Jason, wake up.", spoken.Payload.GetProperty("result").GetProperty("spoken").GetString());
    }

    [Fact]
    public async Task Unknown_action_throwing_handler_and_timeout_come_back_as_typed_errors()
    {
        MeshAgent car = await StartCarAsync(o => o.CommandTimeout = TimeSpan.FromMilliseconds(300));

        MeshRequestException unknown = await Assert.ThrowsAsync<MeshRequestException>(() => _hub.Hub.SendCommandAsync("comma3x-001", "fly", timeout: TimeSpan.FromSeconds(10)));
        Assert.Equal(MeshErrorCodes.UnknownAction, unknown.Code);

        MeshRequestException failed = await Assert.ThrowsAsync<MeshRequestException>(() => _hub.Hub.SendCommandAsync("comma3x-001", "boom", timeout: TimeSpan.FromSeconds(10)));
        Assert.Equal(MeshErrorCodes.HandlerFailed, failed.Code);
        Assert.DoesNotContain("exploded", failed.Message);

        MeshRequestException slow = await Assert.ThrowsAsync<MeshRequestException>(() => _hub.Hub.SendCommandAsync("comma3x-001", "stall", timeout: TimeSpan.FromSeconds(10)));
        Assert.Equal(MeshErrorCodes.Timeout, slow.Code);

        // The agent stays registered and serving.
        Assert.Equal(AgentState.Online, car.State);
        Assert.Equal(65, (await _hub.Hub.QueryAsync("comma3x-001", "status", timeout: TimeSpan.FromSeconds(10))).Payload.GetProperty("result").GetProperty("speed_mph").GetInt32());
    }

    [Fact]
    public async Task Concurrent_commands_run_in_parallel_up_to_the_bound()
    {
        var capability = new CarCapability();
        await StartCarAsync(o => o.MaxConcurrentCommands = 4, capability);

        MeshReply[] responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            _hub.Hub.SendCommandAsync("comma3x-001", "work", JsonDocument.Parse($$"""{"job":{{i}}}""").RootElement, TimeSpan.FromSeconds(20))));

        Assert.Equal(Enumerable.Range(0, 16), responses.Select(r => r.Payload.GetProperty("result").GetProperty("job").GetInt32()).Order());
        Assert.InRange(capability.Peak, 2, 4);
    }

    /// <summary>A plugin-style capability: dotted actions of its own name.</summary>
    private sealed class CanCapability : MeshCapability
    {
        public CanCapability()
            : base("can")
        {
            Handle("can.subscribe", _ => CommandResult.Ok());
            Handle("can.send", _ => CommandResult.Ok());
            HandleQuery("can.stats", _ => CommandResult.Ok());
        }
    }

    [Fact]
    public async Task A_controller_sees_each_capability_with_its_actions_through_get_capabilities()
    {
        await StartAgentAsync("comma3x-001", await _hub.IssueDeviceTokenAsync("comma3x-001"), [new CanCapability(), new CarCapability()], o => o.Capabilities.Add("front_camera"));
        MeshAgent phone = await StartAgentAsync("phone-001", await _hub.IssueCreatorTokenAsync("Jason"), [], o => o.DeviceType = "phone");

        MeshReply reply = await phone.QueryAsync("hub", "get_capabilities", MeshJson.Object(w => w.WriteString("device_id", "comma3x-001")), TimeSpan.FromSeconds(10));
        JsonElement result = reply.Result;
        Assert.Equal(["can", "status", "front_camera"], result.GetProperty("capabilities").EnumerateArray().Select(e => e.GetString()!));
        JsonElement actions = result.GetProperty("actions");
        Assert.Equal(["can.subscribe", "can.send", "can.stats"], actions.GetProperty("can").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(["status", "boom", "stall", "work"], actions.GetProperty("status").EnumerateArray().Select(e => e.GetString()!));
        Assert.False(actions.TryGetProperty("front_camera", out _)); // advertised by name only: no actions of its own
        Assert.Contains("can.stats", result.GetProperty("queries").EnumerateArray().Select(e => e.GetString()!));
        Assert.Contains("can.send", result.GetProperty("commands").EnumerateArray().Select(e => e.GetString()!));
    }

    [Fact]
    public async Task An_agent_queries_another_agent_through_the_hub()
    {
        await StartCarAsync();
        MeshAgent phone = await StartAgentAsync("phone-001", await _hub.IssueCreatorTokenAsync("Jason"), [], o => o.DeviceType = "phone");

        MeshReply reply = await phone.QueryAsync("comma3x-001", "status", timeout: TimeSpan.FromSeconds(10));
        Assert.Equal("comma3x-001", reply.From);
        Assert.Equal(12, reply.Result.GetProperty("eta_minutes").GetInt32());

        MeshRequestException unknown = await Assert.ThrowsAsync<MeshRequestException>(() => phone.SendCommandAsync("comma3x-001", "fly", timeout: TimeSpan.FromSeconds(10)));
        Assert.Equal(MeshErrorCodes.UnknownAction, unknown.Code);

        MeshRequestException offline = await Assert.ThrowsAsync<MeshRequestException>(() => phone.QueryAsync("tv-404", "status", timeout: TimeSpan.FromSeconds(10)));
        Assert.Contains(offline.Code, new[] { MeshErrorCodes.UnknownDevice, MeshErrorCodes.DeviceOffline });
    }

    [Fact]
    public async Task Heartbeat_figures_arrive_in_the_hubs_state_store()
    {
        await StartCarAsync();
        StateValue? beat = null;
        for (int i = 0; i < 100 && beat is null; i++)
        {
            beat = _hub.Hub.GetDeviceState("comma3x-001")?.LastHeartbeat;
            await Task.Delay(50);
        }

        Assert.NotNull(beat);
        DateTimeOffset first = beat.At;
        JsonElement figures = beat.Value;
        Assert.True(figures.GetProperty("memory_mb").GetDouble() > 1, figures.GetRawText());
        Assert.True(figures.GetProperty("uptime_seconds").GetInt64() >= 0);
        Assert.InRange(figures.GetProperty("cpu_percent").GetDouble(), 0, 100);

        // Heartbeats keep coming at the hub's interval (300 ms here).
        await WaitFor(() => _hub.Hub.GetDeviceState("comma3x-001")!.LastHeartbeat!.At > first, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_revoked_token_drops_the_agent_to_AuthFailed_without_a_retry_storm()
    {
        using var metrics = new MetricRecorder("comma3x-001");
        MeshAgent car = await StartCarAsync();
        var states = new List<AgentState>();
        car.StateChanged += (_, e) => { lock (states) { states.Add(e.Current); } };

        await _hub.Hub.RevokeDeviceAsync("comma3x-001");
        await car.WaitForStateAsync(AgentState.AuthFailed).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("4004", car.StateReason);
        await Assert.ThrowsAsync<MeshAuthenticationException>(() => car.WaitUntilOnlineAsync());
        await _runs[^1].Run.WaitAsync(TimeSpan.FromSeconds(5));

        // Several backoff periods later: no reconnect attempt was made.
        await Task.Delay(500);
        lock (states)
        {
            Assert.Equal([AgentState.AuthFailed], states);
        }

        Assert.Equal(0, metrics.Sum(MeshAgentMetrics.Reconnects));
        Assert.False(_hub.Hub.IsOnline("comma3x-001"));
    }

    [Fact]
    public async Task A_wrong_token_is_AuthFailed_at_registration()
    {
        var options = new MeshAgentOptions { HubUri = _hub.MeshUri, DeviceId = "intruder-001", Token = "not-a-real-token" };
        await using var agent = new MeshAgent(options, [], _logs);
        await agent.RunAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(AgentState.AuthFailed, agent.State);
        Assert.Contains("unauthorized", agent.StateReason);
    }

    [Fact]
    public async Task Hub_restart_on_the_same_port_the_agent_reconnects_and_delivers_its_outbox_in_order()
    {
        MeshAgent car = await StartCarAsync();
        using (MeshSubscription<MeshEvent> before = _hub.Hub.SubscribeEvents("comma3x-001", "odometer"))
        {
            for (int i = 0; i < 5; i++)
            {
                car.PublishEvent("odometer", MeshJson.Object(w => w.WriteNumber("seq", i)));
            }

            Assert.Equal([0, 1, 2, 3, 4], await ReadSeqsAsync(before, 5));
        }

        await _hub.StopAsync();
        await car.WaitForStateAsync(AgentState.Disconnected).WaitAsync(TimeSpan.FromSeconds(10));

        // Produced while the hub is gone: queued, not lost. A stream chunk is dropped by design.
        for (int i = 5; i < 55; i++)
        {
            Assert.True(car.PublishEvent("odometer", MeshJson.Object(w => w.WriteNumber("seq", i))));
        }

        Assert.False(car.PublishStreamChunk(new OutgoingStreamChunk { StreamType = "video", Data = new byte[] { 1 } }));
        Assert.Equal(50, car.OutboxCount);

        MeshSubscription<MeshEvent>? after = null;
        await _hub.StartAgainAsync(hub => after = hub.SubscribeEvents("comma3x-001", "odometer"));
        using (after)
        {
            await car.WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(Enumerable.Range(5, 50), await ReadSeqsAsync(after!, 50));
        }

        // And it serves again on the new hub.
        Assert.Equal(65, (await _hub.Hub.QueryAsync("comma3x-001", "status", timeout: TimeSpan.FromSeconds(10))).Payload.GetProperty("result").GetProperty("speed_mph").GetInt32());
    }

    [Fact]
    public async Task The_hosted_service_runs_the_agent_for_the_hosts_lifetime()
    {
        string token = await _hub.IssueDeviceTokenAsync("homeserver-001");
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = _hub.MeshUri.ToString(),
            ["Meowstik:Agent:DeviceId"] = "homeserver-001",
            ["Meowstik:Agent:DeviceType"] = "home_server",
            ["Meowstik:Agent:Token"] = token,
        });
        builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName)).AddCapability<SpeakCapability>();
        using IHost host = builder.Build();
        await host.StartAsync();
        MeshAgent agent = host.Services.GetRequiredService<MeshAgent>();
        await agent.WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(15));

        MeshReply spoken = await _hub.Hub.SendCommandAsync("homeserver-001", "speak", JsonDocument.Parse("""{"text":"hello"}""").RootElement, TimeSpan.FromSeconds(10));
        Assert.Equal("hello", spoken.Payload.GetProperty("result").GetProperty("spoken").GetString());
        Assert.Equal("home_server", _hub.Hub.GetDeviceState("homeserver-001")!.Registration.DeviceType);

        await host.StopAsync();
        Assert.Equal(AgentState.Stopped, agent.State);
        await WaitFor(() => !_hub.Hub.IsOnline("homeserver-001"), TimeSpan.FromSeconds(5));
    }

    private static async Task<List<int>> ReadSeqsAsync(MeshSubscription<MeshEvent> events, int count)
    {
        var seqs = new List<int>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await foreach (MeshEvent e in events.WithCancellation(timeout.Token))
        {
            JsonElement data = e.Payload.TryGetProperty("data", out JsonElement d) ? d : e.Payload;
            seqs.Add(data.GetProperty("seq").GetInt32());
            if (seqs.Count == count)
            {
                break;
            }
        }

        return seqs;
    }

    private static async Task WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        DateTime end = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < end, "condition not reached in time");
            await Task.Delay(25);
        }
    }
}
