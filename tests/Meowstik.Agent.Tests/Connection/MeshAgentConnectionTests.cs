using System.Net.WebSockets;
using System.Text.Json;
using Meowstik.Agent;
using Meowstik.Protocol;

namespace Meowstik.Agent.Tests.Connection;

/// <summary>The agent's connection behaviour against a scripted peer over real loopback WebSockets.</summary>
public sealed class MeshAgentConnectionTests : IAsyncLifetime
{
    private readonly Microsoft.Extensions.Logging.ILoggerFactory _logs;
    private ScriptedHub _hub = null!;

    public MeshAgentConnectionTests(Xunit.Abstractions.ITestOutputHelper output)
    {
        _logs = XunitLoggerProvider.Factory(output);
    }

    public async Task InitializeAsync() => _hub = await ScriptedHub.StartAsync();

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private sealed class CarCapability : MeshCapability
    {
        public CarCapability()
            : base("status")
        {
            HandleQuery("status", _ => CommandResult.Ok(w =>
            {
                w.WriteNumber("speed_mph", 65);
                w.WriteBoolean("engaged", true);
            }));
            Handle("echo", ctx => CommandResult.Ok(MeshJson.From(ctx.Params)));
            Handle("boom", _ => throw new InvalidOperationException("internal detail"));
        }
    }

    private MeshAgentOptions Options(string id = "car-001")
    {
        MeshAgentOptions options = TestAgents.Options(id, _hub.Uri);
        options.DeviceType = "vehicle";
        options.DeviceName = "Jason's Comma 3X";
        options.ReconnectPolicy = new ExponentialBackoffPolicy { InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200) };
        options.RegistrationTimeout = TimeSpan.FromSeconds(5);
        return options;
    }

    private static async Task<(Task Run, CancellationTokenSource Stop)> Start(MeshAgent agent)
    {
        var stop = new CancellationTokenSource();
        Task run = agent.RunAsync(stop.Token);
        await Task.Yield();
        return (run, stop);
    }

    [Fact]
    public async Task Registers_with_the_design_document_shape_and_adopts_the_heartbeat_interval()
    {
        await using var agent = new MeshAgent(Options(), [new CarCapability()], _logs);
        var states = new List<AgentState>();
        agent.StateChanged += (_, e) => { lock (states) { states.Add(e.Current); } };
        (Task run, CancellationTokenSource stop) = await Start(agent);

        ScriptedConnection hub = await _hub.NextConnectionAsync();
        JsonElement register = await hub.AcceptRegistrationAsync(heartbeatIntervalMs: 60_000, sessionId: "sess_abc123");
        Assert.Equal("car-001", register.GetProperty("from").GetString());
        JsonElement payload = register.GetProperty("payload");
        Assert.Equal("vehicle", payload.GetProperty("device_type").GetString());
        Assert.Equal("Jason's Comma 3X", payload.GetProperty("device_name").GetString());
        Assert.Equal(["status"], payload.GetProperty("capabilities").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("test-token", payload.GetProperty("auth_token").GetString());
        Assert.StartsWith("msg_", register.GetProperty("id").GetString());

        await agent.WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromSeconds(60), agent.HeartbeatInterval);
        Assert.Equal("sess_abc123", agent.SessionId);

        // The first heartbeat goes out at once with real figures.
        JsonElement heartbeat = await hub.ReceiveTypeAsync("heartbeat");
        JsonElement figures = heartbeat.GetProperty("payload");
        Assert.True(figures.GetProperty("memory_mb").GetDouble() > 1);
        Assert.True(figures.GetProperty("uptime_seconds").GetInt64() >= 0);
        Assert.InRange(figures.GetProperty("cpu_percent").GetDouble(), 0, 100);
        Assert.Equal("hub", heartbeat.GetProperty("to").GetString());

        Task<bool> closed = hub.WaitForAgentCloseAsync(TimeSpan.FromSeconds(5));
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(AgentState.Stopped, agent.State);
        lock (states)
        {
            Assert.Equal([AgentState.Connecting, AgentState.Registering, AgentState.Online, AgentState.Stopped], states);
        }

        // A graceful stop says goodbye with a normal close.
        Assert.True(await closed);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, hub.CloseStatus);
    }

    [Fact]
    public async Task Heartbeats_follow_the_hubs_interval()
    {
        await using var agent = new MeshAgent(Options(), [new CarCapability()], _logs);
        (Task run, CancellationTokenSource stop) = await Start(agent);
        ScriptedConnection hub = await _hub.NextConnectionAsync();
        await hub.AcceptRegistrationAsync(heartbeatIntervalMs: 100);
        for (int i = 0; i < 4; i++)
        {
            await hub.ReceiveTypeAsync("heartbeat", TimeSpan.FromSeconds(5));
        }

        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Commands_and_queries_are_answered_with_correlation_ids_and_errors_are_typed()
    {
        await using var agent = new MeshAgent(Options(), [new CarCapability()], _logs);
        (Task run, CancellationTokenSource stop) = await Start(agent);
        ScriptedConnection hub = await _hub.NextConnectionAsync();
        await hub.AcceptRegistrationAsync();
        await agent.WaitUntilOnlineAsync();

        await hub.SendAsync("""{"id":"msg_10_q","type":"query","from":"phone-001","to":"car-001","payload":{"action":"status"}}""");
        JsonElement response = await hub.ReceiveTypeAsync("response");
        Assert.Equal("msg_10_q", response.GetProperty("correlation_id").GetString());
        Assert.Equal("phone-001", response.GetProperty("to").GetString());
        Assert.Equal("ok", response.GetProperty("payload").GetProperty("status").GetString());
        Assert.Equal("status", response.GetProperty("payload").GetProperty("action").GetString());
        Assert.Equal(65, response.GetProperty("payload").GetProperty("result").GetProperty("speed_mph").GetInt32());

        await hub.SendAsync("""{"id":"msg_11_c","type":"command","from":"phone-001","payload":{"action":"echo","params":{"text":"hi","n":[1,2]}}}""");
        response = await hub.ReceiveTypeAsync("response");
        Assert.Equal("msg_11_c", response.GetProperty("correlation_id").GetString());
        Assert.Equal("""{"text":"hi","n":[1,2]}""", response.GetProperty("payload").GetProperty("result").GetRawText());

        await hub.SendAsync("""{"id":"msg_12_c","type":"command","from":"phone-001","payload":{"action":"fly"}}""");
        JsonElement error = await hub.ReceiveTypeAsync("error");
        Assert.Equal("msg_12_c", error.GetProperty("correlation_id").GetString());
        Assert.Equal(MeshErrorCodes.UnknownAction, error.GetProperty("payload").GetProperty("code").GetString());

        await hub.SendAsync("""{"id":"msg_13_c","type":"command","from":"phone-001","payload":{"action":"boom"}}""");
        error = await hub.ReceiveTypeAsync("error");
        Assert.Equal("msg_13_c", error.GetProperty("correlation_id").GetString());
        Assert.Equal(MeshErrorCodes.HandlerFailed, error.GetProperty("payload").GetProperty("code").GetString());
        Assert.DoesNotContain("internal detail", error.GetProperty("payload").GetProperty("message").GetString());

        await hub.SendAsync("""{"id":"msg_14_c","type":"command","from":"phone-001","payload":{"params":{}}}""");
        error = await hub.ReceiveTypeAsync("error");
        Assert.Equal("msg_14_c", error.GetProperty("correlation_id").GetString());
        Assert.Equal("missing_field", error.GetProperty("payload").GetProperty("code").GetString());
        Assert.Equal("payload.action", error.GetProperty("payload").GetProperty("field").GetString());

        Assert.Equal(AgentState.Online, agent.State);
        await stop.CancelAsync();
        await run;
    }

    [Theory]
    [InlineData(null, false)]              // a hub that predates the extension (or refuses it): base64 JSON
    [InlineData("binary_streams", true)]   // a hub that lists it back: binary frames, the bytes as they are
    public async Task Stream_chunks_go_as_binary_frames_only_when_the_hub_accepted_binary_streams(string? accepted, bool binary)
    {
        await using var agent = new MeshAgent(Options(), [new CarCapability()], _logs);
        (Task run, CancellationTokenSource stop) = await Start(agent);
        ScriptedConnection hub = await _hub.NextConnectionAsync();
        JsonElement register = await hub.AcceptRegistrationAsync(acceptedFeatures: accepted);
        await agent.WaitUntilOnlineAsync();
        Assert.Equal(["binary_streams"], register.GetProperty("payload").GetProperty("features").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(binary, agent.UsesBinaryStreams);

        byte[] data = [0x00, 0xFF, 0x10, 0x22, 0x7B];
        Assert.True(agent.PublishStreamChunk(new OutgoingStreamChunk { StreamType = "audio", Codec = "opus", ChunkIndex = 7, Data = data }));
        // Skip what the agent sends on its own (a first heartbeat) up to the chunk.
        (WebSocketMessageType type, byte[] bytes) = (await hub.ReceiveRawAsync())!.Value;
        while (type == WebSocketMessageType.Text && JsonDocument.Parse(bytes).RootElement.GetProperty("type").GetString() != "stream")
        {
            (type, bytes) = (await hub.ReceiveRawAsync())!.Value;
        }

        if (binary)
        {
            Assert.Equal(WebSocketMessageType.Binary, type);
            Assert.True(BinaryStreamFrame.TryRead(bytes, out BinaryStreamFrame frame, out ProtocolError error), error.ToString());
            Assert.True(frame.TryGetContiguousData(out ReadOnlySpan<byte> body));
            Assert.Equal(data, body.ToArray());
            Assert.True(frame.TryReadMetadata(out StreamChunk chunk, out _));
            Assert.Equal(7, chunk.ChunkIndex);
        }
        else
        {
            Assert.Equal(WebSocketMessageType.Text, type);
            JsonElement payload = JsonDocument.Parse(bytes).RootElement.GetProperty("payload");
            Assert.Equal(Convert.ToBase64String(data), payload.GetProperty("data").GetString());
            Assert.Equal(7, payload.GetProperty("chunk_index").GetInt32());
        }

        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Bad_input_from_the_hub_is_counted_answered_where_possible_and_the_agent_stays_connected()
    {
        using var metrics = new MetricRecorder("car-001");
        await using var agent = new MeshAgent(Options(), [new CarCapability()], _logs);
        (Task run, CancellationTokenSource stop) = await Start(agent);
        ScriptedConnection hub = await _hub.NextConnectionAsync();
        await hub.AcceptRegistrationAsync();
        await agent.WaitUntilOnlineAsync();

        // Unknown type but a readable id: answered with a correlated protocol error.
        await hub.SendAsync("""{"id":"msg_20_x","type":"teleport","from":"hub","payload":{}}""");
        JsonElement error = await hub.ReceiveTypeAsync("error");
        Assert.Equal("msg_20_x", error.GetProperty("correlation_id").GetString());
        Assert.Equal("unknown_type", error.GetProperty("payload").GetProperty("code").GetString());

        // Garbage without an id, invalid UTF-8 and a malformed binary stream frame: counted and logged, nothing to answer.
        await hub.SendAsync("""{"type":"command",""");
        await hub.SendBinaryAsync([0x01, 0x02]);
        await hub.SendAsync("""{"id":"msg_21_x","type":"register","from":"hub","payload":{"capabilities":[]}}""");
        error = await hub.ReceiveTypeAsync("error");
        Assert.Equal("msg_21_x", error.GetProperty("correlation_id").GetString());

        // Still serving.
        await hub.SendAsync("""{"id":"msg_22_q","type":"query","from":"phone-001","payload":{"action":"status"}}""");
        Assert.Equal("msg_22_q", (await hub.ReceiveTypeAsync("response")).GetProperty("correlation_id").GetString());
        Assert.Equal(AgentState.Online, agent.State);
        Assert.True(metrics.Sum(MeshAgentMetrics.MessagesRejected) >= 4, $"rejected = {metrics.Sum(MeshAgentMetrics.MessagesRejected)}");
        Assert.Equal(1, metrics.Sum(MeshAgentMetrics.MessagesRejected, "reason", "invalid_frame"));

        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task A_revoked_token_close_leads_to_AuthFailed_without_retrying()
    {
        await using var agent = new MeshAgent(Options(), [new CarCapability()], _logs);
        (Task run, CancellationTokenSource stop) = await Start(agent);
        ScriptedConnection hub = await _hub.NextConnectionAsync();
        await hub.AcceptRegistrationAsync();
        await agent.WaitUntilOnlineAsync();

        await hub.CloseAsync(MeshCloseCodes.TokenRevoked, "token revoked");
        await run.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(AgentState.AuthFailed, agent.State);
        Assert.Contains("4004", agent.StateReason);
        await Assert.ThrowsAsync<MeshAuthenticationException>(() => agent.WaitUntilOnlineAsync());

        // No retry storm: well past several backoff periods, still one connection.
        await Task.Delay(400);
        Assert.Equal(1, _hub.UpgradeAttempts);
        stop.Dispose();
    }

    [Fact]
    public async Task An_unauthorized_registration_reply_leads_to_AuthFailed()
    {
        await using var agent = new MeshAgent(Options(), [new CarCapability()], _logs);
        (Task run, CancellationTokenSource stop) = await Start(agent);
        ScriptedConnection hub = await _hub.NextConnectionAsync();
        JsonElement register = await hub.ReceiveTypeAsync("register");
        await hub.SendAsync("""{"id":"msg_1_h","type":"error","from":"hub","correlation_id":"@@","payload":{"code":"unauthorized","message":"unknown token"}}""".Replace("@@", register.GetProperty("id").GetString()));
        await hub.CloseAsync(MeshCloseCodes.AuthFailed, "auth failed");

        await run.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(AgentState.AuthFailed, agent.State);
        Assert.Contains("unauthorized", agent.StateReason);
        Assert.Equal(1, _hub.UpgradeAttempts);
        stop.Dispose();
    }

    [Fact]
    public async Task An_http_401_upgrade_refusal_leads_to_AuthFailed()
    {
        _hub.RefuseWithStatus = 401;
        await using var agent = new MeshAgent(Options(), [new CarCapability()], _logs);
        (Task run, CancellationTokenSource stop) = await Start(agent);
        await run.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(AgentState.AuthFailed, agent.State);
        Assert.Equal(1, _hub.UpgradeAttempts);
        stop.Dispose();
    }

    [Fact]
    public async Task Auth_failure_retry_is_paced_by_the_configured_delay()
    {
        _hub.RefuseWithStatus = 403;
        MeshAgentOptions options = Options();
        options.AuthFailureRetryDelay = TimeSpan.FromMilliseconds(300);
        await using var agent = new MeshAgent(options, [new CarCapability()], _logs);
        var started = System.Diagnostics.Stopwatch.StartNew();
        (Task run, CancellationTokenSource stop) = await Start(agent);
        while (_hub.UpgradeAttempts < 3)
        {
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), "the agent stopped retrying");
            await Task.Delay(20);
        }

        // Three attempts need at least two full retry delays: paced, not a hot loop.
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(600), $"3 attempts within {started.ElapsedMilliseconds} ms");
        await agent.WaitForStateAsync(AgentState.AuthFailed).WaitAsync(TimeSpan.FromSeconds(5));
        Task waiter = agent.WaitUntilOnlineAsync();
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(5));

        // Cancelled while waiting to retry: stopped, and a waiter is released instead of hanging.
        Assert.Equal(AgentState.Stopped, agent.State);
        await Assert.ThrowsAsync<InvalidOperationException>(() => waiter.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_silent_hub_times_out_registration_and_the_agent_tries_again()
    {
        MeshAgentOptions options = Options();
        options.RegistrationTimeout = TimeSpan.FromMilliseconds(200);
        await using var agent = new MeshAgent(options, [new CarCapability()], _logs);
        (Task run, CancellationTokenSource stop) = await Start(agent);
        ScriptedConnection first = await _hub.NextConnectionAsync();
        await first.ReceiveTypeAsync("register");
        ScriptedConnection second = await _hub.NextConnectionAsync(TimeSpan.FromSeconds(5));
        await second.AcceptRegistrationAsync();
        await agent.WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(5));
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task After_a_drop_the_agent_reconnects_and_flushes_the_outbox_in_order()
    {
        using var metrics = new MetricRecorder("car-001");
        await using var agent = new MeshAgent(Options(), [new CarCapability()], _logs);
        (Task run, CancellationTokenSource stop) = await Start(agent);
        ScriptedConnection first = await _hub.NextConnectionAsync();
        await first.AcceptRegistrationAsync();
        await agent.WaitUntilOnlineAsync();

        first.Abort();
        await agent.WaitForStateAsync(AgentState.Disconnected).WaitAsync(TimeSpan.FromSeconds(5));
        for (int i = 0; i < 20; i++)
        {
            Assert.True(agent.PublishEvent("odometer", MeshJson.Object(w => w.WriteNumber("seq", i))));
        }

        Assert.False(agent.PublishStreamChunk(new OutgoingStreamChunk { StreamType = "video", Data = new byte[] { 1, 2, 3 } }));

        ScriptedConnection second = await _hub.NextConnectionAsync();
        await second.AcceptRegistrationAsync();
        var seqs = new List<int>();
        while (seqs.Count < 20)
        {
            JsonElement e = await second.ReceiveTypeAsync("event");
            Assert.Equal("odometer", e.GetProperty("payload").GetProperty("event").GetString());
            seqs.Add(e.GetProperty("payload").GetProperty("data").GetProperty("seq").GetInt32());
        }

        Assert.Equal(Enumerable.Range(0, 20), seqs);
        Assert.Equal(1, metrics.Sum(MeshAgentMetrics.OutboxDropped, "reason", "stream_offline"));
        Assert.True(metrics.Sum(MeshAgentMetrics.Reconnects) >= 1);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task The_token_provider_is_asked_on_every_connect()
    {
        int calls = 0;
        MeshAgentOptions options = Options();
        options.Token = null;
        options.TokenProvider = _ => ValueTask.FromResult($"rotating-{Interlocked.Increment(ref calls)}");
        await using var agent = new MeshAgent(options, [], _logs);
        (Task run, CancellationTokenSource stop) = await Start(agent);

        ScriptedConnection first = await _hub.NextConnectionAsync();
        Assert.Equal("rotating-1", (await first.AcceptRegistrationAsync()).GetProperty("payload").GetProperty("auth_token").GetString());
        await agent.WaitUntilOnlineAsync();
        first.Abort();

        ScriptedConnection second = await _hub.NextConnectionAsync();
        Assert.Equal("rotating-2", (await second.AcceptRegistrationAsync()).GetProperty("payload").GetProperty("auth_token").GetString());
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Stream_chunks_go_out_base64_encoded_while_online()
    {
        await using var agent = new MeshAgent(Options(), [new CarCapability()], _logs);
        (Task run, CancellationTokenSource stop) = await Start(agent);
        ScriptedConnection hub = await _hub.NextConnectionAsync();
        await hub.AcceptRegistrationAsync();
        await agent.WaitUntilOnlineAsync();

        static async IAsyncEnumerable<OutgoingStreamChunk> Audio()
        {
            for (int i = 0; i < 3; i++)
            {
                await Task.Yield();
                yield return new OutgoingStreamChunk { StreamType = "audio", Codec = "opus", SampleRate = 48000, Channels = 1, ChunkIndex = i, Data = new byte[] { (byte)i, 0xFF } };
            }
        }

        Assert.Equal(3, await agent.PublishStreamAsync(Audio()));
        for (int i = 0; i < 3; i++)
        {
            JsonElement chunk = (await hub.ReceiveTypeAsync("stream")).GetProperty("payload");
            Assert.Equal("audio", chunk.GetProperty("stream_type").GetString());
            Assert.Equal(48000, chunk.GetProperty("sample_rate").GetInt32());
            Assert.Equal(i, chunk.GetProperty("chunk_index").GetInt32());
            Assert.Equal(new byte[] { (byte)i, 0xFF }, chunk.GetProperty("data").GetBytesFromBase64());
        }

        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Queries_to_other_devices_await_the_correlated_answer()
    {
        await using var agent = new MeshAgent(Options("phone-001"), [], _logs);
        (Task run, CancellationTokenSource stop) = await Start(agent);
        ScriptedConnection hub = await _hub.NextConnectionAsync();
        await hub.AcceptRegistrationAsync();
        await agent.WaitUntilOnlineAsync();

        Task<MeshReply> eta = agent.QueryAsync("car-001", "status", MeshJson.Object(w => w.WriteString("fields", "eta")));
        JsonElement query = await hub.ReceiveTypeAsync("query");
        Assert.Equal("car-001", query.GetProperty("to").GetString());
        Assert.Equal("status", query.GetProperty("payload").GetProperty("action").GetString());
        Assert.Equal("eta", query.GetProperty("payload").GetProperty("params").GetProperty("fields").GetString());
        string id = query.GetProperty("id").GetString()!;

        // An unrelated answer does not complete it.
        await hub.SendAsync("""{"id":"msg_30_r","type":"response","from":"car-001","correlation_id":"msg_0_zzz","payload":{"status":"ok"}}""");
        await hub.SendAsync("""{"id":"msg_31_r","type":"response","from":"car-001","correlation_id":"@@0@@","payload":{"status":"ok","action":"status","result":{"eta_minutes":12}}}""".Replace("@@0@@", id));
        MeshReply reply = await eta.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("car-001", reply.From);
        Assert.Equal(12, reply.Result.GetProperty("eta_minutes").GetInt32());

        Task<MeshReply> failing = agent.SendCommandAsync("car-001", "pull_over");
        string commandId = (await hub.ReceiveTypeAsync("command")).GetProperty("id").GetString()!;
        await hub.SendAsync("""{"id":"msg_32_e","type":"error","from":"hub","correlation_id":"@@","payload":{"code":"device_offline","message":"car-001 is offline"}}""".Replace("@@", commandId));
        MeshRequestException error = await Assert.ThrowsAsync<MeshRequestException>(() => failing);
        Assert.Equal("device_offline", error.Code);

        await Assert.ThrowsAsync<TimeoutException>(() => agent.QueryAsync("car-001", "status", timeout: TimeSpan.FromMilliseconds(200)));

        using var cancel = new CancellationTokenSource();
        Task<MeshReply> cancelled = agent.QueryAsync("car-001", "status", cancellationToken: cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Events_delivered_to_the_agent_are_raised()
    {
        await using var agent = new MeshAgent(Options(), [], _logs);
        var received = new TaskCompletionSource<MeshEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.EventReceived += (_, e) => received.TrySetResult(e);
        agent.EventReceived += (_, _) => throw new InvalidOperationException("a broken subscriber must not break the agent");
        (Task run, CancellationTokenSource stop) = await Start(agent);
        ScriptedConnection hub = await _hub.NextConnectionAsync();
        await hub.AcceptRegistrationAsync();
        await agent.WaitUntilOnlineAsync();

        await hub.SendAsync("""{"id":"msg_40_e","type":"event","from":"hub","to":"broadcast","payload":{"event":"device_connected","device_id":"tv-001","device_name":"TV"}}""");
        MeshEvent e = await received.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("device_connected", e.Name);
        Assert.Equal("hub", e.From);
        Assert.Equal("tv-001", e.Payload.GetProperty("device_id").GetString());
        Assert.Equal(AgentState.Online, agent.State);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Disposing_drops_the_rest_of_the_outbox_counted_and_fails_pending_requests()
    {
        using var metrics = new MetricRecorder("car-001");
        var agent = new MeshAgent(Options(), [], _logs);
        agent.PublishEvent("a");
        agent.PublishEvent("b");
        Assert.Equal(2, agent.OutboxCount);
        Task<MeshReply> pending = agent.QueryAsync("x-1", "status");
        await agent.DisposeAsync();
        Assert.Equal(3, metrics.Sum(MeshAgentMetrics.OutboxDropped, "reason", "agent_stopped"));
        await Assert.ThrowsAnyAsync<Exception>(() => pending);
        Assert.False(agent.PublishEvent("late"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => agent.RunAsync());
    }

    [Fact]
    public async Task RunAsync_cannot_run_twice_at_once()
    {
        await using var agent = new MeshAgent(Options(), [], _logs);
        (Task run, CancellationTokenSource stop) = await Start(agent);
        await Assert.ThrowsAsync<InvalidOperationException>(() => agent.RunAsync());
        await stop.CancelAsync();
        await run;
    }
}
