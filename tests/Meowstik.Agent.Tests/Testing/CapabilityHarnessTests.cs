using System.Text.Json;
using Meowstik.Agent;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Agent.Tests.Testing;

/// <summary>The test kit's harness behaves as the agent's dispatcher: kinds, deadlines, failures, naming, publishing.</summary>
public class CapabilityHarnessTests
{
    private sealed class CanLike : MeshCapability
    {
        public CanLike()
            : base("can")
        {
            HandleQuery("can.stats", _ => CommandResult.Ok(w => w.WriteNumber("frames", 42)));
            Handle("can.send", ctx =>
            {
                ctx.Publisher.PublishEvent("can.sent", MeshJson.Object(w => w.WriteNumber("id", ctx.GetDouble("id"))));
                return CommandResult.Ok();
            });
            Handle("can.slow", async (_, ct) =>
            {
                await Task.Delay(Timeout.Infinite, ct);
                return CommandResult.Ok();
            });
            Handle("can.boom", _ => throw new InvalidOperationException("secret"));
            Handle("can.ask", async (ctx, ct) =>
            {
                MeshReply reply = await ctx.Publisher.QueryAsync("gateway-001", "status", cancellationToken: ct);
                return CommandResult.Ok(MeshJson.From(reply.Result));
            });
        }

        public override async Task RunAsync(IMeshPublisher publisher, CancellationToken cancellationToken)
        {
            publisher.PublishEvent("can.bus_up");
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    [Fact]
    public async Task Queries_run_only_query_actions_and_commands_run_any()
    {
        await using var harness = new CapabilityHarness(new CanLike());
        CommandResult stats = await harness.QueryAsync("can.stats");
        Assert.True(stats.IsSuccess);
        Assert.Equal(42, stats.Result.ToElement().GetProperty("frames").GetInt32());

        CommandResult refused = await harness.QueryAsync("can.send", MeshJson.Raw("""{"id":291}"""));
        Assert.Equal(MeshErrorCodes.Forbidden, refused.ErrorCode);
        Assert.Empty(harness.Publisher.Events); // the handler did not run

        Assert.True((await harness.CommandAsync("can.send", MeshJson.Raw("""{"id":291}"""))).IsSuccess);
        Assert.True((await harness.CommandAsync("can.stats")).IsSuccess);
        RecordedEvent sent = Assert.Single(harness.Publisher.Events);
        Assert.Equal("can.sent", sent.Name);
        Assert.Equal(291, sent.Data.GetProperty("id").GetInt32());

        Assert.Equal(MeshErrorCodes.UnknownAction, (await harness.CommandAsync("can.fly")).ErrorCode);
        CommandResult boom = await harness.CommandAsync("can.boom");
        Assert.Equal(MeshErrorCodes.HandlerFailed, boom.ErrorCode);
        Assert.DoesNotContain("secret", boom.ErrorMessage);
    }

    [Fact]
    public async Task The_deadline_runs_on_the_fake_clock_and_timeout_ms_shortens_it()
    {
        var time = new FakeTimeProvider();
        await using var harness = new CapabilityHarness([new CanLike()], new CapabilityHarnessOptions { Time = time, CommandTimeout = TimeSpan.FromSeconds(10) });

        Task<CommandResult> slow = harness.CommandAsync("can.slow");
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(slow.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        CommandResult timedOut = await slow.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(MeshErrorCodes.Timeout, timedOut.ErrorCode);

        Task<CommandResult> shortened = harness.CommandAsync("can.slow", timeout: TimeSpan.FromSeconds(2));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(MeshErrorCodes.Timeout, (await shortened.WaitAsync(TimeSpan.FromSeconds(10))).ErrorCode);
    }

    [Fact]
    public async Task It_advertises_what_the_agent_would()
    {
        await using var harness = new CapabilityHarness(new CanLike());
        Assert.Equal(["can.stats"], harness.Queries);
        Assert.Contains("can.send", harness.Commands);
        KeyValuePair<string, IReadOnlyList<string>> can = Assert.Single(harness.Actions);
        Assert.Equal("can", can.Key);
        Assert.Equal(5, can.Value.Count);
    }

    [Fact]
    public void It_refuses_what_the_agent_refuses_at_start()
    {
        var wrong = new LambdaNamed("gps", "can.send");
        ArgumentException error = Assert.Throws<ArgumentException>(() => new CapabilityHarness(wrong));
        Assert.Contains("'gps'", error.Message);
        Assert.Contains("'can.send'", error.Message);
    }

    [Fact]
    public async Task Requests_to_other_devices_are_recorded_and_answered_from_the_script()
    {
        await using var harness = new CapabilityHarness(new CanLike());
        harness.Publisher.Reply("gateway-001", "status", MeshJson.Raw("""{"up":true}"""));
        CommandResult result = await harness.CommandAsync("can.ask");
        Assert.True(result.Result.ToElement().GetProperty("up").GetBoolean());
        RecordedRequest request = Assert.Single(harness.Publisher.Requests);
        Assert.Equal(CommandKind.Query, request.Kind);
        Assert.Equal("gateway-001", request.DeviceId);

        harness.Publisher.Fail("gateway-001", "status", MeshErrorCodes.DeviceOffline, "gone");
        Assert.Equal(MeshErrorCodes.HandlerFailed, (await harness.CommandAsync("can.ask")).ErrorCode);
    }

    [Fact]
    public async Task Background_work_publishes_to_the_recorder_and_stops_on_dispose()
    {
        var can = new CanLike();
        var harness = new CapabilityHarness(can);
        harness.StartBackground(can);
        RecordedEvent up = await harness.Publisher.WaitForEventAsync("can.bus_up").WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(JsonValueKind.Undefined, up.Data.ValueKind);
        await harness.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    private sealed class LambdaNamed(string name, params string[] actions) : IMeshCapability
    {
        public string Name { get; } = name;

        public IReadOnlyCollection<string> Actions { get; } = actions;

        public ValueTask<CommandResult> HandleAsync(CommandContext context, CancellationToken cancellationToken) => ValueTask.FromResult(CommandResult.Ok());
    }
}
