using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meowstik.Agent.Gps.Tests;

/// <summary>AddGps: options bound from Meowstik:Gps by the generated binder and validated at start, naming the key.</summary>
public sealed class GpsHostingTests
{
    private static IHost Build(Dictionary<string, string?> gps)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var settings = new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = "ws://127.0.0.1:1/ws/mesh",
            ["Meowstik:Agent:DeviceId"] = "car-001",
            ["Meowstik:Agent:Token"] = "mtk_test",
        };
        foreach ((string key, string? value) in gps)
        {
            settings["Meowstik:Gps:" + key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName))
            .AddGps(builder.Configuration.GetSection(GpsOptions.SectionName));
        return builder.Build();
    }

    [Fact]
    public void Options_bind_from_the_section_and_the_source_follows_them()
    {
        using IHost host = Build(new() { ["GpsdHost"] = "gps.local", ["GpsdPort"] = "2948", ["TrackMaxRateHz"] = "5", ["StaleAfter"] = "00:00:03" });
        GpsOptions o = host.Services.GetRequiredService<IOptions<GpsOptions>>().Value;
        Assert.Equal(("gps.local", 2948, 5.0, TimeSpan.FromSeconds(3)), (o.GpsdHost, o.GpsdPort, o.TrackMaxRateHz, o.StaleAfter));
        var source = Assert.IsType<GpsdSource>(host.Services.GetRequiredService<IGpsSource>());
        Assert.Equal("gpsd gps.local:2948", source.Description);
        Assert.Contains(host.Services.GetServices<IMeshCapability>(), c => c.Name == "gps");

        using IHost serial = Build(new() { ["Source"] = "Serial", ["SerialPort"] = "/dev/ttyACM0", ["BaudRate"] = "38400" });
        Assert.Equal("serial /dev/ttyACM0@38400", serial.Services.GetRequiredService<IGpsSource>().Description);
    }

    [Fact]
    public async Task A_misspelt_key_fails_the_start()
    {
        using IHost host = Build(new() { ["GpsdPrt"] = "2948" });
        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("'GpsdPrt'", e.Message);
    }

    [Fact]
    public async Task Invalid_settings_fail_the_start_each_naming_its_key()
    {
        using IHost host = Build(new() { ["Source"] = "File", ["TrackMaxRateHz"] = "0", ["MaxTrackers"] = "0" });
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Meowstik:Gps:NmeaFile is not set", e.Message);
        Assert.Contains("Meowstik:Gps:TrackMaxRateHz is 0", e.Message);
        Assert.Contains("Meowstik:Gps:MaxTrackers is 0", e.Message);

        using IHost port = Build(new() { ["GpsdPort"] = "70000" });
        OptionsValidationException p = await Assert.ThrowsAsync<OptionsValidationException>(() => port.StartAsync());
        Assert.Contains("Meowstik:Gps:GpsdPort is 70000", p.Message);
    }

    [Fact]
    public void Code_configuration_and_a_custom_source_registered_first()
    {
        var services = new ServiceCollection();
        IGpsSource custom = NmeaSource.FromFile(NmeaSourceTests.DrivePath);
        services.AddSingleton(custom);
        services.AddMeowstikAgent(o => { o.HubUri = new Uri("ws://127.0.0.1:1/ws/mesh"); o.DeviceId = "car-001"; o.Token = "t"; })
            .AddGps(o => o.TrackMaxRateHz = 4);
        using ServiceProvider sp = services.BuildServiceProvider();
        Assert.Same(custom, sp.GetRequiredService<IGpsSource>());
        Assert.Equal(4, sp.GetRequiredService<IOptions<GpsOptions>>().Value.TrackMaxRateHz);
    }
}
