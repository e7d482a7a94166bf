using System.Device.Gpio;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meowstik.Agent.Gpio.Tests;

/// <summary>AddGpio: options bound from Meowstik:Gpio by the generated binder and validated at start, each error naming its key.</summary>
public sealed class GpioHostingTests
{
    private static IHost Build(Dictionary<string, string?> gpio, Action<IServiceCollection>? services = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var settings = new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = "ws://127.0.0.1:1/ws/mesh",
            ["Meowstik:Agent:DeviceId"] = "pi-001",
            ["Meowstik:Agent:Token"] = "mtk_test",
        };
        foreach ((string key, string? value) in gpio)
        {
            settings["Meowstik:Gpio:" + key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        services?.Invoke(builder.Services);
        builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName))
            .AddGpio(builder.Configuration.GetSection(GpioOptions.SectionName));
        return builder.Build();
    }

    [Fact]
    public void Pins_bind_from_the_section()
    {
        using IHost host = Build(new()
        {
            ["Pins:0:Number"] = "17", ["Pins:0:Name"] = "button", ["Pins:0:Mode"] = "InputPullUp", ["Pins:0:Watch"] = "true",
            ["Pins:0:WatchEdge"] = "Falling", ["Pins:0:Debounce"] = "00:00:00.050",
            ["Pins:1:Number"] = "27", ["Pins:1:Mode"] = "Output", ["Pins:1:InitialValue"] = "High", ["Pins:1:SafeValue"] = "Low",
            ["Pins:2:Number"] = "18", ["Pins:2:Mode"] = "Pwm", ["Pins:2:PwmChip"] = "0", ["Pins:2:PwmChannel"] = "1", ["Pins:2:Frequency"] = "50",
            ["Pins:2:MaxDutyCycle"] = "0.125",
            ["MaxPulse"] = "00:00:02", ["EventTarget"] = "hub", ["MaxWatches"] = "4",
        });
        GpioOptions o = host.Services.GetRequiredService<IOptions<GpioOptions>>().Value;
        Assert.Equal(3, o.Pins.Count);
        Assert.Equal((17, "button", GpioPinMode.InputPullUp, true, GpioEdge.Falling, TimeSpan.FromMilliseconds(50)),
            (o.Pins[0].Number, o.Pins[0].Name, o.Pins[0].Mode, o.Pins[0].Watch, o.Pins[0].WatchEdge, o.Pins[0].Debounce));
        Assert.Equal((27, GpioPinMode.Output, (GpioLevel?)GpioLevel.High), (o.Pins[1].Number, o.Pins[1].Mode, o.Pins[1].InitialValue));
        Assert.Equal((GpioPinMode.Pwm, 1, 50, 0.125), (o.Pins[2].Mode, o.Pins[2].PwmChannel, o.Pins[2].Frequency, o.Pins[2].MaxDutyCycle));
        Assert.Equal((TimeSpan.FromSeconds(2), "hub", 4), (o.MaxPulse, o.EventTarget, o.MaxWatches));
        Assert.Contains(host.Services.GetServices<IMeshCapability>(), c => c.Name == "gpio");
    }

    [Fact]
    public async Task A_misspelt_key_fails_the_start()
    {
        using IHost host = Build(new() { ["Pins:0:Number"] = "17", ["Pins:0:Mdoe"] = "Output" });
        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("'Mdoe'", e.Message);
    }

    [Fact]
    public async Task Invalid_settings_fail_the_start_each_naming_its_key()
    {
        using IHost host = Build(new()
        {
            ["Pins:0:Mode"] = "Output",                                                  // no Number
            ["Pins:1:Number"] = "17", ["Pins:1:Name"] = "relay", ["Pins:1:Mode"] = "Input", ["Pins:1:InitialValue"] = "High", ["Pins:1:Debounce"] = "00:01:00",
            ["Pins:2:Number"] = "17", ["Pins:2:Name"] = "RELAY", ["Pins:2:Mode"] = "Output", ["Pins:2:Watch"] = "true",
            ["Pins:3:Number"] = "18", ["Pins:3:Mode"] = "Pwm", ["Pins:3:Frequency"] = "0", ["Pins:3:MaxDutyCycle"] = "1.5",
            ["Pins:4:Number"] = "19", ["Pins:4:Mode"] = "Pwm", ["Pins:4:InitialDutyCycle"] = "0.9", ["Pins:4:MaxDutyCycle"] = "0.5",
            ["Pins:5:Number"] = "20", ["Pins:5:Name"] = "42",
            ["MaxPulse"] = "00:05:00", ["Debounce"] = "-00:00:01", ["EventTarget"] = " ", ["MaxWatches"] = "0",
        });
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        string m = e.Message;
        Assert.Contains("Meowstik:Gpio:Pins:0:Number is not set", m);
        Assert.Contains("Meowstik:Gpio:Pins:1:InitialValue is set but the pin's Mode is Input", m);
        Assert.Contains("Meowstik:Gpio:Pins:1:Debounce is 00:01:00", m);
        Assert.Contains("Meowstik:Gpio:Pins:2:Number 17 is declared twice (also Meowstik:Gpio:Pins:1)", m);
        Assert.Contains("Meowstik:Gpio:Pins:2:Name 'RELAY' is used twice", m);
        Assert.Contains("Meowstik:Gpio:Pins:2:Watch is true but the pin's Mode is Output", m);
        Assert.Contains("Meowstik:Gpio:Pins:3:Frequency is 0", m);
        Assert.Contains("Meowstik:Gpio:Pins:3:MaxDutyCycle is 1.5", m);
        Assert.Contains("Meowstik:Gpio:Pins:4:PwmChannel: pwmchip0 channel 0 is declared twice", m);
        Assert.Contains("Meowstik:Gpio:Pins:4:InitialDutyCycle is 0.9", m);
        Assert.Contains("Meowstik:Gpio:Pins:5:Name '42' is not a valid alias", m);
        Assert.Contains("Meowstik:Gpio:MaxPulse is 00:05:00", m);
        Assert.Contains("Meowstik:Gpio:Debounce is -00:00:01", m);
        Assert.Contains("Meowstik:Gpio:EventTarget is empty", m);
        Assert.Contains("Meowstik:Gpio:MaxWatches is 0", m);

        using IHost watches = Build(new()
        {
            ["Pins:0:Number"] = "5", ["Pins:0:Watch"] = "true", ["Pins:1:Number"] = "6", ["Pins:1:Watch"] = "true", ["MaxWatches"] = "1",
        });
        OptionsValidationException w = await Assert.ThrowsAsync<OptionsValidationException>(() => watches.StartAsync());
        Assert.Contains("Meowstik:Gpio:MaxWatches is 1 but 2 pins set Watch", w.Message);
    }

    [Fact]
    public async Task A_registered_driver_is_used_and_the_host_stopping_leaves_the_pins_safe()
    {
        var driver = new SimulatedGpioDriver();
        var pwm = new FakePwmFactory();
        using (IHost host = Build(
            new() { ["Pins:0:Number"] = "27", ["Pins:0:Mode"] = "Output", ["Pins:0:SafeValue"] = "High", ["Pins:0:InitialValue"] = "Low", ["Pins:1:Number"] = "18", ["Pins:1:Mode"] = "Pwm", ["Pins:1:InitialDutyCycle"] = "0.25" },
            s => s.AddSingleton<GpioDriver>(driver).AddSingleton<IGpioPwmChannelFactory>(pwm)))
        {
            GpioCapability gpio = host.Services.GetRequiredService<GpioCapability>();
            gpio.EnsureOpen();
            Assert.Equal(PinValue.Low, driver.LevelOf(27));
            Assert.Equal((0.25, true), (pwm.Channels[(0, 0)].DutyCycle, pwm.Channels[(0, 0)].Running));
        }

        Assert.Equal(PinValue.High, driver.LevelOf(27));      // disposed with the container: SafeValue
        Assert.Equal((0.0, false, true), (pwm.Channels[(0, 0)].DutyCycle, pwm.Channels[(0, 0)].Running, pwm.Channels[(0, 0)].Disposed));
        Assert.True(driver.Disposed);
    }

    [Fact]
    public void Code_configuration()
    {
        var services = new ServiceCollection();
        services.AddMeowstikAgent(o => { o.HubUri = new Uri("ws://127.0.0.1:1/ws/mesh"); o.DeviceId = "pi-001"; o.Token = "t"; })
            .AddGpio(o => o.Pins.Add(new GpioPinOptions { Number = 17, Name = "relay", Mode = GpioPinMode.Output }));
        using ServiceProvider sp = services.BuildServiceProvider();
        Assert.Equal("relay", Assert.Single(sp.GetRequiredService<IOptions<GpioOptions>>().Value.Pins).Name);
    }
}
