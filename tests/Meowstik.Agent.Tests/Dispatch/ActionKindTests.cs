using Meowstik.Agent;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Agent.Tests.Dispatch;

/// <summary>Issue #8, finding 1: a query (all a family token may send) must not run a state-changing handler.</summary>
public class ActionKindTests
{
    private sealed class CarCapability : MeshCapability
    {
        public CarCapability()
            : base("car")
        {
            HandleQuery("status", _ => { Ran.Add("status"); return CommandResult.Ok(); });
            HandleQuery("eta", async (_, ct) => { await Task.Yield(); Ran.Add("eta"); return CommandResult.Ok(); });
            Handle("unlock", _ => { Ran.Add("unlock"); return CommandResult.Ok(); });
            Handle("honk", async (_, ct) => { await Task.Yield(); Ran.Add("honk"); return CommandResult.Ok(); });
        }

        public List<string> Ran { get; } = [];
    }

    // Implements only the original members: the default QueryActions (none) must keep it safe.
    private sealed class LegacyCapability : IMeshCapability
    {
        public int Runs;

        public string Name => "legacy";

        public IReadOnlyCollection<string> Actions => ["reboot"];

        public ValueTask<CommandResult> HandleAsync(CommandContext context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Runs);
            return ValueTask.FromResult(CommandResult.Ok());
        }
    }

    // Claims a query it does not handle: ignored.
    private sealed class OverclaimingCapability : IMeshCapability
    {
        public string Name => "over";

        public IReadOnlyCollection<string> Actions => ["read"];

        public IReadOnlyCollection<string> QueryActions => ["read", "ghost"];

        public ValueTask<CommandResult> HandleAsync(CommandContext context, CancellationToken cancellationToken) => ValueTask.FromResult(CommandResult.Ok());
    }

    private static CommandDispatcher Create(params IMeshCapability[] capabilities) =>
        new(capabilities, 4, 16, TimeSpan.FromSeconds(30), TimeProvider.System, NullLogger.Instance);

    [Fact]
    public void Handle_is_a_command_and_HandleQuery_a_query()
    {
        var car = new CarCapability();
        Assert.Equal(["eta", "status"], car.QueryActions.Order());
        Assert.Equal(["eta", "honk", "status", "unlock"], car.Actions.Order());
        IMeshCapability legacy = new LegacyCapability();
        Assert.Empty(legacy.QueryActions);

        CommandDispatcher dispatcher = Create(car, legacy, new OverclaimingCapability());
        Assert.Equal(["status", "eta", "read"], dispatcher.QueryActions);
        Assert.Equal(["unlock", "honk", "reboot"], dispatcher.CommandActions);
    }

    [Theory]
    [InlineData("unlock")]
    [InlineData("honk")]
    public async Task A_query_naming_a_command_is_forbidden_and_the_handler_does_not_run(string action)
    {
        await using MeshAgent agent = TestAgents.Idle();
        var car = new CarCapability();
        CommandDispatcher dispatcher = Create(car);

        CommandResult result = await dispatcher.DispatchAsync(TestAgents.Context(agent, action, kind: CommandKind.Query), null, CancellationToken.None);

        Assert.Equal(MeshErrorCodes.Forbidden, result.ErrorCode);
        Assert.Contains("is a command", result.ErrorMessage);
        Assert.Empty(car.Ran);
        Assert.Equal(0, dispatcher.Pending);
    }

    [Fact]
    public async Task A_capability_called_directly_refuses_a_query_for_a_command_too()
    {
        await using MeshAgent agent = TestAgents.Idle();
        var car = new CarCapability();
        CommandResult result = await car.HandleAsync(TestAgents.Context(agent, "unlock", kind: CommandKind.Query), CancellationToken.None);
        Assert.Equal(MeshErrorCodes.Forbidden, result.ErrorCode);
        Assert.Empty(car.Ran);
    }

    [Fact]
    public async Task Queries_run_for_either_message_kind_and_commands_for_command_messages()
    {
        await using MeshAgent agent = TestAgents.Idle();
        var car = new CarCapability();
        CommandDispatcher dispatcher = Create(car);

        Assert.True((await dispatcher.DispatchAsync(TestAgents.Context(agent, "status", kind: CommandKind.Query), null, default)).IsSuccess);
        Assert.True((await dispatcher.DispatchAsync(TestAgents.Context(agent, "eta", kind: CommandKind.Query), null, default)).IsSuccess);
        Assert.True((await dispatcher.DispatchAsync(TestAgents.Context(agent, "status", kind: CommandKind.Command), null, default)).IsSuccess);
        Assert.True((await dispatcher.DispatchAsync(TestAgents.Context(agent, "unlock", kind: CommandKind.Command), null, default)).IsSuccess);
        Assert.Equal(["status", "eta", "status", "unlock"], car.Ran);
    }

    [Fact]
    public async Task A_legacy_capability_without_declared_queries_refuses_every_query()
    {
        await using MeshAgent agent = TestAgents.Idle();
        var legacy = new LegacyCapability();
        CommandDispatcher dispatcher = Create(legacy);

        Assert.Equal(MeshErrorCodes.Forbidden, (await dispatcher.DispatchAsync(TestAgents.Context(agent, "reboot", kind: CommandKind.Query), null, default)).ErrorCode);
        Assert.Equal(0, legacy.Runs);
        Assert.True((await dispatcher.DispatchAsync(TestAgents.Context(agent, "reboot"), null, default)).IsSuccess);
        Assert.Equal(1, legacy.Runs);
    }

    [Fact]
    public async Task An_unknown_action_is_still_unknown_for_a_query()
    {
        await using MeshAgent agent = TestAgents.Idle();
        CommandDispatcher dispatcher = Create(new CarCapability());
        Assert.Equal(MeshErrorCodes.UnknownAction, (await dispatcher.DispatchAsync(TestAgents.Context(agent, "fly", kind: CommandKind.Query), null, default)).ErrorCode);
    }
}
