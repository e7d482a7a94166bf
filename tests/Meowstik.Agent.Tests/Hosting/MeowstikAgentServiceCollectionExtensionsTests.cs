using Meowstik.Agent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Meowstik.Agent.Tests.Hosting;

public class MeowstikAgentServiceCollectionExtensionsTests
{
    public sealed class Clock
    {
        public string Now() => "12:00";
    }

    public sealed class ClockCapability : MeshCapability
    {
        public ClockCapability(Clock clock)
            : base("clock")
        {
            Handle("time", _ => CommandResult.Ok(w => w.WriteString("now", clock.Now())));
        }
    }

    private sealed class Lamp : MeshCapability
    {
        public Lamp()
            : base("lamp")
        {
            Handle("power", _ => CommandResult.Ok());
        }
    }

    [Fact]
    public async Task AddMeowstikAgent_registers_the_agent_its_capabilities_and_one_hosted_service()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<Clock>();
        services.AddMeowstikAgent(o =>
            {
                o.HubUri = new Uri("ws://127.0.0.1:9/ws/mesh");
                o.DeviceId = "desk-001";
                o.Token = "t";
                o.Capabilities.Add("screen");
            })
            .AddCapability<ClockCapability>()
            .AddCapability(new Lamp())
            .AddCapability(_ => new Lamp2());
        services.AddMeowstikAgent(o => o.DeviceType = "desktop");

        await using ServiceProvider provider = services.BuildServiceProvider();
        MeshAgent agent = provider.GetRequiredService<MeshAgent>();
        Assert.Same(agent, provider.GetRequiredService<MeshAgent>());
        Assert.Equal("desk-001", agent.DeviceId);
        Assert.Equal(["clock", "lamp", "lamp2", "screen"], agent.AdvertisedCapabilities);
        Assert.Single(provider.GetServices<IHostedService>().OfType<MeshAgentHostedService>());
    }

    [Fact]
    public async Task AddMeowstikAgent_binds_from_configuration_then_applies_the_callback()
    {
        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = "ws://127.0.0.1:9/ws/mesh",
            ["Meowstik:Agent:DeviceId"] = "pi-007",
            ["Meowstik:Agent:Token"] = "from-config",
        }).Build();
        var services = new ServiceCollection();
        services.AddMeowstikAgent(config.GetSection(MeshAgentOptions.SectionName), o => o.DeviceName = "Garage Pi");
        await using ServiceProvider provider = services.BuildServiceProvider();
        MeshAgent agent = provider.GetRequiredService<MeshAgent>();
        Assert.Equal("pi-007", agent.DeviceId);
    }

    [Fact]
    public async Task Invalid_options_fail_when_the_agent_is_resolved_naming_every_key()
    {
        var services = new ServiceCollection();
        services.AddMeowstikAgent(o => o.DeviceId = "x");
        await using ServiceProvider provider = services.BuildServiceProvider();
        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<MeshAgent>());
        Assert.Equal(["Meowstik:Agent:HubUri", "Meowstik:Agent:Token"], error.Failures.Select(f => f.Split(' ')[0]));
    }

    private sealed class Lamp2 : MeshCapability
    {
        public Lamp2()
            : base("lamp2")
        {
            Handle("dim", _ => CommandResult.Ok());
        }
    }
}
