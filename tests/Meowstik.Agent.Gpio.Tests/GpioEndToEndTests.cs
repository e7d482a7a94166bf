using System.Device.Gpio;
using System.Text.Json;
using Meowstik.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Gpio.Tests;

/// <summary>
/// A Raspberry Pi agent hosted with <c>AddGpio</c> (its chip is the fake driver: the only stand-in, for the absent hardware),
/// a real hub, and a controller agent over real WebSockets: gpio.write then gpio.read, and gpio.watch edge events.
/// </summary>
public sealed class GpioEndToEndTests : IAsyncLifetime
{
    private readonly SimulatedGpioDriver _chip = new();
    private MeshTestHub _hub = null!;
    private IHost _pi = null!;
    private MeshAgent _phone = null!;

    public async Task InitializeAsync()
    {
        _hub = await MeshTestHub.StartAsync();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = _hub.MeshUri.ToString(),
            ["Meowstik:Agent:DeviceId"] = "pi-001",
            // Granted phone-001 so a direct watch may aim its events at it; broadcast events need no grant.
            ["Meowstik:Agent:Token"] = await _hub.IssueDeviceTokenAsync("pi-001", "phone-001"),
            ["Meowstik:Gpio:Pins:0:Number"] = "17",
            ["Meowstik:Gpio:Pins:0:Name"] = "button",
            ["Meowstik:Gpio:Pins:0:Mode"] = "InputPullUp",
            ["Meowstik:Gpio:Pins:1:Number"] = "27",
            ["Meowstik:Gpio:Pins:1:Name"] = "relay",
            ["Meowstik:Gpio:Pins:1:Mode"] = "Output",
        });
        builder.Services.AddSingleton<GpioDriver>(_chip);
        builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName))
            .AddGpio(builder.Configuration.GetSection(GpioOptions.SectionName));
        _pi = builder.Build();
        await _pi.StartAsync();
        await _pi.Services.GetRequiredService<MeshAgent>().WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(15));

        _phone = await _hub.StartControllerAsync("phone-001", "Jason");
    }

    public async Task DisposeAsync()
    {
        await _pi.StopAsync();
        _pi.Dispose();
        await _hub.DisposeAsync();
    }

    [Fact]
    public async Task A_controller_writes_reads_and_receives_watched_edges()
    {
        TimeSpan timeout = TimeSpan.FromSeconds(10);
        MeshReply written = await _phone.SendCommandAsync("pi-001", "gpio.write", MeshJson.Object(w => { w.WriteString("pin", "relay"); w.WriteNumber("value", 1); }), timeout);
        Assert.Equal(1, written.Result.GetProperty("value").GetInt32());
        Assert.Equal(PinValue.High, _chip.LevelOf(27));
        MeshReply read = await _phone.QueryAsync("pi-001", "gpio.read", MeshJson.Object(w => w.WriteNumber("pin", 27)), timeout);
        Assert.Equal(("relay", "output", "high"), (read.Result.GetProperty("name").GetString(), read.Result.GetProperty("mode").GetString(), read.Result.GetProperty("level").GetString()));

        // Refusals arrive as typed errors.
        MeshRequestException unknown = await Assert.ThrowsAsync<MeshRequestException>(() =>
            _phone.SendCommandAsync("pi-001", "gpio.write", MeshJson.Object(w => { w.WriteNumber("pin", 4); w.WriteNumber("value", 1); }), timeout));
        Assert.Equal(GpioErrorCodes.UnknownPin, unknown.Code);
        MeshRequestException input = await Assert.ThrowsAsync<MeshRequestException>(() =>
            _phone.SendCommandAsync("pi-001", "gpio.write", MeshJson.Object(w => { w.WriteString("pin", "button"); w.WriteNumber("value", 0); }), timeout));
        Assert.Equal(GpioErrorCodes.WrongMode, input.Code);

        // A watch: its events go to every device allowed to observe the Pi (broadcast).
        using MeshSubscription<MeshEvent> events = _phone.SubscribeEvents("pi-001", GpioCapability.EdgeEvent);
        MeshReply watching = await _phone.SendCommandAsync("pi-001", "gpio.watch", MeshJson.Object(w => w.WriteString("pin", "button")), timeout);
        Assert.Equal("broadcast", watching.Result.GetProperty("to").GetString());
        _chip.SetInput(17, PinValue.Low);                         // the button is pressed
        MeshEvent pressed = await First(events);
        Assert.Equal(("pi-001", "gpio.edge"), (pressed.From, pressed.Name));
        Assert.Equal((17, "button", "falling", 0), (pressed.Data.GetProperty("pin").GetInt32(), pressed.Data.GetProperty("name").GetString(),
            pressed.Data.GetProperty("edge").GetString(), pressed.Data.GetProperty("value").GetInt32()));

        // The phone's own watch, direct: replaces its broadcast one, events addressed to the phone alone.
        MeshReply direct = await _phone.SendCommandAsync("pi-001", "gpio.watch",
            MeshJson.Object(w => { w.WriteString("pin", "button"); w.WriteBoolean("direct", true); w.WriteNumber("debounce_ms", 0); }), timeout);
        Assert.Equal("phone-001", direct.Result.GetProperty("to").GetString());
        _chip.SetInput(17, PinValue.High);                        // released
        MeshEvent released = await First(events);
        Assert.Equal(("rising", 1), (released.Data.GetProperty("edge").GetString(), released.Data.GetProperty("value").GetInt32()));
        Assert.Equal(1, _pi.Services.GetRequiredService<GpioCapability>().WatchCount);

        MeshReply stopped = await _phone.SendCommandAsync("pi-001", "gpio.watch", MeshJson.Object(w => { w.WriteString("pin", "button"); w.WriteBoolean("stop", true); }), timeout);
        Assert.True(stopped.Result.GetProperty("stopped").GetBoolean());
        Assert.Equal(0, _pi.Services.GetRequiredService<GpioCapability>().WatchCount);

        MeshReply capabilities = await _phone.QueryAsync(DeviceId.Hub, "get_capabilities", MeshJson.Object(w => w.WriteString("device_id", "pi-001")), timeout);
        Assert.Equal(["gpio.pulse", "gpio.pwm", "gpio.read", "gpio.watch", "gpio.write"],
            capabilities.Result.GetProperty("actions").GetProperty("gpio").EnumerateArray().Select(a => a.GetString()).Order());
    }

    private static async Task<MeshEvent> First(MeshSubscription<MeshEvent> events)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await foreach (MeshEvent e in events.WithCancellation(timeout.Token))
        {
            return e;
        }

        throw new InvalidOperationException("The event subscription ended.");
    }
}
