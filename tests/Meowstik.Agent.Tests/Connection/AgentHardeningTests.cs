using System.Text.Json;
using Meowstik.Agent;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Tests.Connection;

/// <summary>Issue #8 attacks on the agent, over real loopback WebSockets from a scripted hub.</summary>
public sealed class AgentHardeningTests : IAsyncLifetime
{
    private readonly ILoggerFactory _logs;
    private ScriptedHub _hub = null!;

    public AgentHardeningTests(Xunit.Abstractions.ITestOutputHelper output)
    {
        _logs = XunitLoggerProvider.Factory(output);
    }

    public async Task InitializeAsync() => _hub = await ScriptedHub.StartAsync();

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private sealed class CarCapability : MeshCapability
    {
        private int _unlocks;

        public CarCapability()
            : base("car")
        {
            HandleQuery("status", _ => CommandResult.Ok(w => w.WriteNumber("speed_mph", 65)));
            HandleQuery("stall", async (_, ct) =>
            {
                await Task.Delay(Timeout.Infinite, ct);
                return CommandResult.Ok();
            });
            Handle("unlock", _ =>
            {
                Interlocked.Increment(ref _unlocks);
                return CommandResult.Ok();
            });
        }

        public int Unlocks => Volatile.Read(ref _unlocks);
    }

    private MeshAgentOptions Options()
    {
        MeshAgentOptions options = TestAgents.Options("car-001", _hub.Uri);
        options.ReconnectPolicy = new ExponentialBackoffPolicy { InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200) };
        options.RegistrationTimeout = TimeSpan.FromSeconds(5);
        return options;
    }

    private async Task<(MeshAgent Agent, ScriptedConnection Hub, Task Run, CancellationTokenSource Stop)> StartOnlineAsync(
        CarCapability car, MeshAgentOptions? options = null, ILoggerFactory? logs = null)
    {
        var agent = new MeshAgent(options ?? Options(), [car], logs ?? _logs);
        var stop = new CancellationTokenSource();
        Task run = agent.RunAsync(stop.Token);
        ScriptedConnection hub = await _hub.NextConnectionAsync();
        await hub.AcceptRegistrationAsync();
        await agent.WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(5));
        return (agent, hub, run, stop);
    }

    private static async Task StopAsync(MeshAgent agent, Task run, CancellationTokenSource stop)
    {
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        await agent.DisposeAsync();
    }

    [Fact]
    public async Task Register_advertises_which_actions_are_queries_and_which_are_commands()
    {
        var car = new CarCapability();
        await using var agent = new MeshAgent(Options(), [car], _logs);
        using var stop = new CancellationTokenSource();
        Task run = agent.RunAsync(stop.Token);
        ScriptedConnection hub = await _hub.NextConnectionAsync();
        JsonElement payload = (await hub.AcceptRegistrationAsync()).GetProperty("payload");

        Assert.Equal(["car"], payload.GetProperty("capabilities").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["status", "stall"], payload.GetProperty("queries").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["unlock"], payload.GetProperty("commands").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["status", "stall"], agent.AdvertisedQueries);
        Assert.Equal(["unlock"], agent.AdvertisedCommands);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_query_naming_a_command_action_is_refused_with_forbidden_and_never_runs()
    {
        var car = new CarCapability();
        (MeshAgent agent, ScriptedConnection hub, Task run, CancellationTokenSource stop) = await StartOnlineAsync(car);

        // The attack: a family token may only send queries, so it sends the command's action as a query.
        await hub.SendAsync("""{"id":"msg_1_fam","type":"query","from":"phone-001","to":"car-001","payload":{"action":"unlock"}}""");
        JsonElement error = await hub.ReceiveTypeAsync("error");
        Assert.Equal("msg_1_fam", error.GetProperty("correlation_id").GetString());
        Assert.Equal("phone-001", error.GetProperty("to").GetString());
        Assert.Equal(MeshErrorCodes.Forbidden, error.GetProperty("payload").GetProperty("code").GetString());
        Assert.Contains("is a command", error.GetProperty("payload").GetProperty("message").GetString());
        Assert.Equal(0, car.Unlocks);

        // The same action as a command runs; a query action runs for a query.
        await hub.SendAsync("""{"id":"msg_2_own","type":"command","from":"owner-001","payload":{"action":"unlock"}}""");
        Assert.Equal("msg_2_own", (await hub.ReceiveTypeAsync("response")).GetProperty("correlation_id").GetString());
        Assert.Equal(1, car.Unlocks);
        await hub.SendAsync("""{"id":"msg_3_fam","type":"query","from":"phone-001","payload":{"action":"status"}}""");
        Assert.Equal("msg_3_fam", (await hub.ReceiveTypeAsync("response")).GetProperty("correlation_id").GetString());
        await StopAsync(agent, run, stop);
    }

    [Theory]
    [InlineData("1000000000000000000", "response")] // 1e18 as JavaScript writes it: an integer TimeSpan cannot hold
    [InlineData("9223372036854775807", "response")]
    [InlineData("1e18", "invalid_field")]
    [InlineData("1e300", "invalid_field")]
    [InlineData("-5", "invalid_field")]
    [InlineData("2.5", "invalid_field")]
    [InlineData("99999999999999999999999", "invalid_field")]
    public async Task An_extreme_timeout_ms_is_answered_and_the_session_stays_online(string timeoutMs, string expected)
    {
        var car = new CarCapability();
        (MeshAgent agent, ScriptedConnection hub, Task run, CancellationTokenSource stop) = await StartOnlineAsync(car);

        await hub.SendAsync("""{"id":"msg_1_t","type":"query","from":"phone-001","payload":{"action":"status","timeout_ms":@@}}""".Replace("@@", timeoutMs));
        JsonElement answer = await NextAnswerAsync(hub);
        Assert.Equal("msg_1_t", answer.GetProperty("correlation_id").GetString());
        if (expected == "response")
        {
            Assert.Equal("response", answer.GetProperty("type").GetString());
            Assert.Equal(65, answer.GetProperty("payload").GetProperty("result").GetProperty("speed_mph").GetInt32());
        }
        else
        {
            Assert.Equal("error", answer.GetProperty("type").GetString());
            Assert.Equal(expected, answer.GetProperty("payload").GetProperty("code").GetString());
            Assert.Equal("payload.timeout_ms", answer.GetProperty("payload").GetProperty("field").GetString());
        }

        // Same session: still online, still answering, never reconnected.
        await hub.SendAsync("""{"id":"msg_2_t","type":"query","from":"phone-001","payload":{"action":"status"}}""");
        Assert.Equal("msg_2_t", (await NextAnswerAsync(hub)).GetProperty("correlation_id").GetString());
        Assert.Equal(AgentState.Online, agent.State);
        Assert.Equal(1, _hub.UpgradeAttempts);
        await StopAsync(agent, run, stop);
    }

    [Fact]
    public async Task A_huge_timeout_ms_is_clamped_to_the_agents_command_timeout()
    {
        var car = new CarCapability();
        MeshAgentOptions options = Options();
        options.CommandTimeout = TimeSpan.FromMilliseconds(300);
        (MeshAgent agent, ScriptedConnection hub, Task run, CancellationTokenSource stop) = await StartOnlineAsync(car, options);

        var started = System.Diagnostics.Stopwatch.StartNew();
        await hub.SendAsync("""{"id":"msg_1_s","type":"query","from":"phone-001","payload":{"action":"stall","timeout_ms":1000000000000000000}}""");
        JsonElement error = await NextAnswerAsync(hub);
        Assert.Equal(MeshErrorCodes.Timeout, error.GetProperty("payload").GetProperty("code").GetString());
        Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(8));
        Assert.Equal(AgentState.Online, agent.State);
        await StopAsync(agent, run, stop);
    }

    [Fact]
    public async Task A_receive_loop_failure_stops_the_sessions_other_loops_before_reconnecting()
    {
        var sink = new ThrowingLoggerProvider();
        using ILoggerFactory logs = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(sink));
        var car = new CarCapability();
        (MeshAgent agent, ScriptedConnection first, Task run, CancellationTokenSource stop) = await StartOnlineAsync(car, logs: logs);
        await LoopsEqualAsync(agent, 3); // receive, send, heartbeat

        // A binary frame is rejected and logged from inside the receive loop (event 8); the log sink throws there.
        sink.ArmOnce(8);
        await first.SendBinaryAsync([0x01, 0x02]);

        // The agent reconnects. When its new register arrives, no loop of the failed session may still be running.
        ScriptedConnection second = await _hub.NextConnectionAsync();
        await second.ReceiveTypeAsync("register");
        Assert.Equal(1, sink.Thrown);
        Assert.Equal(0, agent.SessionLoops);

        // The new session works, with exactly its own three loops.
        agent.PublishEvent("after_failure");
        await second.SendAsync("""{"id":"msg_1_h","type":"response","from":"hub","payload":{"status":"registered","heartbeat_interval":30000}}""");
        await agent.WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("after_failure", (await second.ReceiveTypeAsync("event")).GetProperty("payload").GetProperty("event").GetString());
        await LoopsEqualAsync(agent, 3);
        await StopAsync(agent, run, stop);
        Assert.Equal(0, agent.SessionLoops);
    }

    // The loops start just after the state turns Online, so wait for them briefly.
    private static async Task LoopsEqualAsync(MeshAgent agent, int expected)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (agent.SessionLoops != expected && waited.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(5);
        }

        Assert.Equal(expected, agent.SessionLoops);
    }

    private static async Task<JsonElement> NextAnswerAsync(ScriptedConnection hub)
    {
        while (true)
        {
            JsonElement message = (await hub.ReceiveAsync()) ?? throw new InvalidOperationException("The agent closed the connection.");
            if (message.GetProperty("type").GetString() is "response" or "error")
            {
                return message;
            }
        }
    }
}
