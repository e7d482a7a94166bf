using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Meowstik.Agent.Can.Tests;

public sealed class RegistrationTests
{
    private static string Dbc => Path.Combine(DbcDecodeTests.DataDir, "vehicle.dbc");

    private static string Log => Path.Combine(DbcDecodeTests.DataDir, "drive.candump");

    private static IHost Build(Dictionary<string, string?> settings)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = "ws://127.0.0.1:9/ws/mesh",
            ["Meowstik:Agent:DeviceId"] = "car-001",
            ["Meowstik:Agent:Token"] = "t",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName))
            .AddCan(builder.Configuration.GetSection(CanOptions.SectionName));
        return builder.Build();
    }

    [Fact]
    public void Options_bind_from_the_sibling_section_and_the_capability_is_registered()
    {
        using IHost host = Build(new()
        {
            ["Meowstik:Can:Source"] = "Replay",
            ["Meowstik:Can:ReplayFile"] = Log,
            ["Meowstik:Can:ReplayLoop"] = "true",
            ["Meowstik:Can:DbcFile"] = Dbc,
            ["Meowstik:Can:SendAllowList:0"] = "123",
            ["Meowstik:Can:SendRatePerSecond"] = "4",
        });
        CanOptions o = host.Services.GetRequiredService<IOptions<CanOptions>>().Value;
        Assert.Equal((CanSourceKind.Replay, true, 4.0), (o.Source, o.ReplayLoop, o.SendRatePerSecond));
        Assert.Equal(["123"], o.SendAllowList);
        Assert.IsType<CandumpReplaySource>(host.Services.GetRequiredService<ICanFrameSource>());
        Assert.Contains(host.Services.GetServices<IMeshCapability>(), c => c is CanCapability);
    }

    [Fact]
    public void An_unknown_key_fails_naming_it()
    {
        using IHost host = Build(new() { ["Meowstik:Can:Interfce"] = "can1" });
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<IOptions<CanOptions>>().Value);
        Assert.Contains("'Interfce'", e.Message);
    }

    [Fact]
    public async Task Invalid_settings_fail_the_start_each_naming_its_key()
    {
        using IHost host = Build(new()
        {
            ["Meowstik:Can:Source"] = "Replay",
            ["Meowstik:Can:DbcFile"] = "/nope/vehicle.dbc",
            ["Meowstik:Can:SendAllowList:0"] = "1234",
            ["Meowstik:Can:Bitrate"] = "5",
        });
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(e.Failures, f => f.StartsWith("Meowstik:Can:ReplayFile is not set", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("Meowstik:Can:DbcFile '/nope/vehicle.dbc' does not exist", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("Meowstik:Can:SendAllowList:0 '1234' is not a CAN id", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("Meowstik:Can:Bitrate 5 is out of range", StringComparison.Ordinal));
    }

    [Fact]
    public void Code_options_work_too()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddMeowstikAgent(o => { o.HubUri = new Uri("ws://127.0.0.1:9/ws/mesh"); o.DeviceId = "car-001"; o.Token = "t"; })
            .AddCan(o => { o.Source = CanSourceKind.Replay; o.ReplayFile = Log; o.Bitrate = 250_000; });
        using IHost host = builder.Build();
        Assert.Equal(250_000, host.Services.GetRequiredService<IOptions<CanOptions>>().Value.Bitrate);
    }
}
