using Meowstik.Agent;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Agent.Tests.Dispatch;

public class CommandDispatcherTests
{
    private sealed class LambdaCapability : IMeshCapability
    {
        private readonly Func<CommandContext, CancellationToken, ValueTask<CommandResult>> _handler;

        public LambdaCapability(string name, string[] actions, Func<CommandContext, CancellationToken, ValueTask<CommandResult>> handler)
        {
            Name = name;
            Actions = actions;
            _handler = handler;
        }

        public string Name { get; }

        public IReadOnlyCollection<string> Actions { get; }

        public ValueTask<CommandResult> HandleAsync(CommandContext context, CancellationToken cancellationToken) => _handler(context, cancellationToken);
    }

    private static CommandDispatcher Create(IEnumerable<IMeshCapability> capabilities, TimeProvider? time = null, int concurrency = 4, int pending = 16, int timeoutSeconds = 30) =>
        new(capabilities, concurrency, pending, TimeSpan.FromSeconds(timeoutSeconds), time ?? TimeProvider.System, NullLogger.Instance);

    [Fact]
    public async Task Routes_by_action_to_the_owning_capability()
    {
        await using MeshAgent agent = TestAgents.Idle();
        var gps = new LambdaCapability("gps", ["location"], (_, _) => ValueTask.FromResult(CommandResult.Ok(MeshJson.Raw("""{"lat":1}"""))));
        var speed = new LambdaCapability("speed", ["speed"], (_, _) => ValueTask.FromResult(CommandResult.Ok(MeshJson.Raw("65"))));
        CommandDispatcher dispatcher = Create([gps, speed]);

        Assert.Equal(["gps", "speed"], dispatcher.CapabilityNames);
        Assert.Equal("65", (await dispatcher.DispatchAsync(TestAgents.Context(agent, "speed"), null, CancellationToken.None)).Result.ToString());
        Assert.Equal("""{"lat":1}""", (await dispatcher.DispatchAsync(TestAgents.Context(agent, "location"), null, CancellationToken.None)).Result.ToString());
    }

    [Fact]
    public async Task Unknown_action_is_answered_with_unknown_action()
    {
        await using MeshAgent agent = TestAgents.Idle();
        CommandDispatcher dispatcher = Create([]);
        CommandResult result = await dispatcher.DispatchAsync(TestAgents.Context(agent, "fly"), null, CancellationToken.None);
        Assert.Equal(MeshErrorCodes.UnknownAction, result.ErrorCode);
        Assert.Contains("fly", result.ErrorMessage);
    }

    [Fact]
    public void Two_capabilities_claiming_one_action_are_refused()
    {
        var a = new LambdaCapability("a", ["x"], (_, _) => ValueTask.FromResult(CommandResult.Ok()));
        var b = new LambdaCapability("b", ["x"], (_, _) => ValueTask.FromResult(CommandResult.Ok()));
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => Create([a, b]));
        Assert.Contains("'x'", error.Message);
    }

    [Fact]
    public async Task A_throwing_handler_becomes_handler_failed_without_leaking_the_exception_text()
    {
        await using MeshAgent agent = TestAgents.Idle();
        var bad = new LambdaCapability("bad", ["boom", "boom_sync"], (ctx, _) =>
            ctx.Action == "boom_sync"
                ? throw new InvalidOperationException("secret connection string")
                : ThrowLater());
        CommandDispatcher dispatcher = Create([bad]);

        foreach (string action in new[] { "boom", "boom_sync" })
        {
            CommandResult result = await dispatcher.DispatchAsync(TestAgents.Context(agent, action), null, CancellationToken.None);
            Assert.Equal(MeshErrorCodes.HandlerFailed, result.ErrorCode);
            Assert.DoesNotContain("secret", result.ErrorMessage);
        }

        Assert.Equal(0, dispatcher.Pending);

        static async ValueTask<CommandResult> ThrowLater()
        {
            await Task.Yield();
            throw new InvalidOperationException("secret connection string");
        }
    }

    [Fact]
    public async Task A_handler_past_its_deadline_is_answered_with_timeout_and_its_token_is_cancelled()
    {
        await using MeshAgent agent = TestAgents.Idle();
        var time = new FakeTimeProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawCancel = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new LambdaCapability("slow", ["wait"], async (_, ct) =>
        {
            ct.Register(() => sawCancel.TrySetResult());
            started.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return CommandResult.Ok();
        });
        CommandDispatcher dispatcher = Create([slow], time, timeoutSeconds: 5);

        Task<CommandResult> call = dispatcher.DispatchAsync(TestAgents.Context(agent, "wait"), null, CancellationToken.None);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(5));
        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(call.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.2));

        CommandResult result = await call.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(MeshErrorCodes.Timeout, result.ErrorCode);
        await sawCancel.Task.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_handler_ignoring_cancellation_still_times_out_and_keeps_its_slot_until_it_ends()
    {
        await using MeshAgent agent = TestAgents.Idle();
        var time = new FakeTimeProvider();
        var release = new TaskCompletionSource<CommandResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stubborn = new LambdaCapability("stubborn", ["hang", "quick"], (ctx, _) =>
            ctx.Action == "hang" ? new ValueTask<CommandResult>(release.Task) : ValueTask.FromResult(CommandResult.Ok()));
        CommandDispatcher dispatcher = Create([stubborn], time, concurrency: 1, pending: 4, timeoutSeconds: 1);

        Task<CommandResult> hang = dispatcher.DispatchAsync(TestAgents.Context(agent, "hang"), null, CancellationToken.None);
        await WaitUntil(() => dispatcher.Pending == 1);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(MeshErrorCodes.Timeout, (await hang.WaitAsync(TimeSpan.FromSeconds(5))).ErrorCode);

        // The only slot is still held by the hung handler: the next call waits, then times out too.
        Task<CommandResult> quick = dispatcher.DispatchAsync(TestAgents.Context(agent, "quick"), null, CancellationToken.None);
        await WaitUntil(() => dispatcher.Pending == 1);
        Assert.False(quick.IsCompleted);
        release.SetResult(CommandResult.Ok());
        Assert.True((await quick.WaitAsync(TimeSpan.FromSeconds(5))).IsSuccess);
    }

    [Fact]
    public async Task The_senders_timeout_can_shorten_but_not_extend_the_deadline()
    {
        await using MeshAgent agent = TestAgents.Idle();
        var time = new FakeTimeProvider();
        int started = 0;
        var slow = new LambdaCapability("slow", ["wait"], async (_, ct) =>
        {
            Interlocked.Increment(ref started);
            await Task.Delay(Timeout.Infinite, ct);
            return CommandResult.Ok();
        });
        CommandDispatcher dispatcher = Create([slow], time, timeoutSeconds: 10);

        Task<CommandResult> shortened = dispatcher.DispatchAsync(TestAgents.Context(agent, "wait"), TimeSpan.FromSeconds(2), CancellationToken.None);
        Task<CommandResult> capped = dispatcher.DispatchAsync(TestAgents.Context(agent, "wait", id: "msg_2_b"), TimeSpan.FromSeconds(60), CancellationToken.None);
        await WaitUntil(() => Volatile.Read(ref started) == 2);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(MeshErrorCodes.Timeout, (await shortened.WaitAsync(TimeSpan.FromSeconds(5))).ErrorCode);
        Assert.False(capped.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal(MeshErrorCodes.Timeout, (await capped.WaitAsync(TimeSpan.FromSeconds(5))).ErrorCode);
    }

    [Fact]
    public async Task Concurrency_is_bounded_and_overflow_is_refused_as_overloaded()
    {
        await using MeshAgent agent = TestAgents.Idle();
        int running = 0;
        int peak = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var work = new LambdaCapability("work", ["job"], async (_, ct) =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await gate.Task.WaitAsync(ct);
            Interlocked.Decrement(ref running);
            return CommandResult.Ok();
        });
        CommandDispatcher dispatcher = Create([work], concurrency: 3, pending: 10);

        var calls = Enumerable.Range(0, 10)
            .Select(i => dispatcher.DispatchAsync(TestAgents.Context(agent, "job", id: $"msg_{i}_x"), null, CancellationToken.None))
            .ToList();
        await WaitUntil(() => Volatile.Read(ref running) == 3 && dispatcher.Pending == 10);

        CommandResult refused = await dispatcher.DispatchAsync(TestAgents.Context(agent, "job", id: "msg_11_x"), null, CancellationToken.None);
        Assert.Equal(MeshErrorCodes.Overloaded, refused.ErrorCode);

        gate.SetResult();
        CommandResult[] results = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.Equal(3, peak);
        Assert.Equal(0, dispatcher.Pending);
    }

    [Fact]
    public async Task Stopping_the_agent_cancels_and_propagates()
    {
        await using MeshAgent agent = TestAgents.Idle();
        var waiting = new LambdaCapability("w", ["wait"], async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return CommandResult.Ok();
        });
        CommandDispatcher dispatcher = Create([waiting]);
        using var stopping = new CancellationTokenSource();
        Task<CommandResult> call = dispatcher.DispatchAsync(TestAgents.Context(agent, "wait"), null, stopping.Token);
        stopping.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "condition not reached");
    }
}
