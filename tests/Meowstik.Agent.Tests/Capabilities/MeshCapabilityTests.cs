using System.Text.Json;
using Meowstik.Agent;
using Meowstik.Protocol;

namespace Meowstik.Agent.Tests.Capabilities;

public class MeshCapabilityTests
{
    private sealed class SpeakCapability : MeshCapability
    {
        public SpeakCapability()
            : base("speak")
        {
            Handle("speak", async (ctx, ct) =>
            {
                await Task.Yield();
                return CommandResult.Ok(w =>
                {
                    w.WriteString("said", ctx.GetString("text"));
                    w.WriteNumber("volume", ctx.GetDouble("volume", 50));
                });
            });
            Handle("mute", _ => CommandResult.Ok());
        }
    }

    private sealed class DuplicateCapability : MeshCapability
    {
        public DuplicateCapability()
            : base("dup")
        {
            Handle("a", _ => CommandResult.Ok());
            Handle("a", _ => CommandResult.Ok());
        }
    }

    [Fact]
    public async Task Handlers_receive_params_and_build_results()
    {
        await using MeshAgent agent = TestAgents.Idle();
        var speak = new SpeakCapability();
        Assert.Equal("speak", speak.Name);
        Assert.Equal(["speak", "mute"], speak.Actions);

        CommandResult result = await speak.HandleAsync(TestAgents.Context(agent, "speak", """{"text":"wake up","volume":80}"""), CancellationToken.None);
        Assert.True(result.IsSuccess);
        Assert.Equal("ok", result.Status);
        JsonElement json = result.Result.ToElement();
        Assert.Equal("wake up", json.GetProperty("said").GetString());
        Assert.Equal(80, json.GetProperty("volume").GetDouble());
    }

    [Fact]
    public async Task Missing_params_fall_back_to_defaults()
    {
        await using MeshAgent agent = TestAgents.Idle();
        CommandResult result = await new SpeakCapability().HandleAsync(TestAgents.Context(agent, "speak", "null"), CancellationToken.None);
        JsonElement json = result.Result.ToElement();
        Assert.Equal(JsonValueKind.Null, json.GetProperty("said").ValueKind);
        Assert.Equal(50, json.GetProperty("volume").GetDouble());
    }

    [Fact]
    public async Task An_action_the_capability_does_not_know_fails_with_unknown_action()
    {
        await using MeshAgent agent = TestAgents.Idle();
        CommandResult result = await new SpeakCapability().HandleAsync(TestAgents.Context(agent, "dance"), CancellationToken.None);
        Assert.False(result.IsSuccess);
        Assert.Equal(MeshErrorCodes.UnknownAction, result.ErrorCode);
    }

    [Fact]
    public void Registering_an_action_twice_is_an_error()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new DuplicateCapability());
        Assert.Contains("'a'", error.Message);
    }

    [Fact]
    public void Fail_requires_a_code()
    {
        Assert.Throws<ArgumentException>(() => CommandResult.Fail("", "x"));
        CommandResult failed = CommandResult.Fail("no_gps_fix", "No GPS fix yet.");
        Assert.False(failed.IsSuccess);
        Assert.Equal("no_gps_fix", failed.ErrorCode);
        Assert.Equal("No GPS fix yet.", failed.ErrorMessage);
        Assert.True(failed.Result.IsNone);
    }
}
