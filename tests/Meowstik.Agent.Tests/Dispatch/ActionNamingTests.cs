using Meowstik.Agent;
using Meowstik.Protocol;

namespace Meowstik.Agent.Tests.Dispatch;

/// <summary>The action naming rule, enforced when the agent is created (docs/protocol.md, "Action names").</summary>
public class ActionNamingTests
{
    private sealed class Declaring : MeshCapability
    {
        public Declaring(string name, params string[] actions) : base(name)
        {
            foreach (string action in actions) Handle(action, _ => CommandResult.Ok());
        }
    }

    private static MeshAgent Create(params IMeshCapability[] capabilities) => new(
        new MeshAgentOptions { HubUri = new Uri("ws://127.0.0.1:1/ws/mesh"), DeviceId = "naming-001", Token = "t" }, capabilities);

    [Fact]
    public async Task Dotted_actions_of_their_own_capability_and_plain_names_are_accepted()
    {
        await using MeshAgent agent = Create(new Declaring("can", "can.subscribe", "can.send", "status"), new Declaring("car", "speak", "proxy"));
        Assert.Equal(["can", "car"], agent.AdvertisedCapabilities);
    }

    [Fact]
    public void A_dotted_action_naming_another_capability_is_refused_naming_both()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => Create(new Declaring("gps", "gps.position", "can.send")));
        Assert.Contains("'gps'", error.Message);
        Assert.Contains("'can.send'", error.Message);
        Assert.Contains("capability 'can'", error.Message);
    }

    [Fact]
    public void The_prefix_must_be_the_whole_capability_name()
    {
        Assert.Throws<ArgumentException>(() => Create(new Declaring("can_bus", "can.send")));
        Assert.Throws<ArgumentException>(() => Create(new Declaring("can", "can_bus.send")));
    }

    [Theory]
    [InlineData("Status")]
    [InlineData("set-rate")]
    [InlineData("setRate")]
    [InlineData("car.can.send")]
    [InlineData("can.")]
    public void An_invalid_name_is_refused_with_the_reason(string action)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => Create(new Declaring("can", action)));
        Assert.Contains($"'{action}'", error.Message);
        Assert.Contains("not a valid action name", error.Message);
    }

    [Fact]
    public void A_name_over_the_limit_is_refused() =>
        Assert.Throws<ArgumentException>(() => Create(new Declaring("can", "can." + new string('x', ActionName.MaxLength))));
}
