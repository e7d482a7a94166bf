using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using System.Text.Json;
using Meowstik.Agent.Gpio;
using Microsoft.Extensions.DependencyInjection;

namespace Meowstik.Hil;

/// <summary>
/// The GPIO plugin on a gpio-sim chip (8 lines, made by /init through configfs) with the libgpiod driver: reads follow the
/// simulated pull, writes show in sim_gpioN/value, gpio.watch reports the edges of flipping the pull, undeclared pins are refused.
/// </summary>
internal static class GpioChecks
{
    private const int Button = 3;   // Input
    private const int Relay = 5;    // Output
    private const int Undeclared = 6;

    public static async Task RunAll()
    {
        string chip = File.ReadAllText("/run/gpiosim_chip").Trim();       // gpiochipN, written by /init
        string dev = File.ReadAllText("/run/gpiosim_dev").Trim();         // gpio-sim.N
        int chipNumber = int.Parse(chip.AsSpan("gpiochip".Length), System.Globalization.CultureInfo.InvariantCulture);
        string Sim(int line, string file) => $"/sys/devices/platform/{dev}/{chip}/sim_gpio{line}/{file}";
        void Pull(int line, string pull) => File.WriteAllText(Sim(line, "pull"), pull);
        Hil.Log($"gpio-sim {dev} {chip}");

        int relayLine = Hil.Breaks("gpio-line") ? Undeclared : Relay;    // HIL_BREAK=gpio-line: the relay declared on the wrong line
        var services = new ServiceCollection();
        services.AddSingleton<GpioDriver>(_ => new LibGpiodDriver(chipNumber));
        services.AddMeowstikAgent(o => o.DeviceId = "hil-vm").AddGpio(o =>
        {
            o.Pins.Add(new GpioPinOptions { Number = Button, Name = "button", Mode = GpioPinMode.Input });
            o.Pins.Add(new GpioPinOptions { Number = relayLine, Name = "relay", Mode = GpioPinMode.Output, SafeValue = GpioLevel.Low });
        });
        await using ServiceProvider provider = services.BuildServiceProvider();
        GpioCapability gpio = provider.GetRequiredService<GpioCapability>();
        var mesh = new HilPublisher();

        await Hil.Check("gpio: gpio.read follows the gpio-sim pull (libgpiod)", async () =>
        {
            Pull(Button, "pull-up");
            JsonElement high = Hil.Ok(await Hil.Call(gpio, mesh, "gpio.read", """{"pin":"button"}""", CommandKind.Query), "gpio.read");
            Pull(Button, "pull-down");
            JsonElement low = Hil.Ok(await Hil.Call(gpio, mesh, "gpio.read", """{"pin":3}""", CommandKind.Query), "gpio.read");
            Pull(Button, "pull-up");
            JsonElement high2 = Hil.Ok(await Hil.Call(gpio, mesh, "gpio.read", """{"pin":"button"}""", CommandKind.Query), "gpio.read");
            Hil.Expect(high.GetProperty("value").GetInt32() == 1 && high.GetProperty("level").GetString() == "high", $"pull-up read {high}");
            Hil.Expect(low.GetProperty("value").GetInt32() == 0 && low.GetProperty("level").GetString() == "low", $"pull-down read {low}");
            Hil.Expect(high2.GetProperty("value").GetInt32() == 1, $"pull-up again read {high2}");
        });

        await Hil.Check("gpio: gpio.write drives the line: sim_gpio5/value follows", async () =>
        {
            Hil.Expect(File.ReadAllText(Sim(Relay, "value")).Trim() == "0", "the relay did not open at its safe value 0");
            Hil.Ok(await Hil.Call(gpio, mesh, "gpio.write", """{"pin":"relay","value":1}"""), "gpio.write 1");
            string on = File.ReadAllText(Sim(Relay, "value")).Trim();
            JsonElement read = Hil.Ok(await Hil.Call(gpio, mesh, "gpio.read", """{"pin":"relay"}""", CommandKind.Query), "gpio.read relay");
            Hil.Ok(await Hil.Call(gpio, mesh, "gpio.write", """{"pin":"relay","value":"low"}"""), "gpio.write low");
            string off = File.ReadAllText(Sim(Relay, "value")).Trim();
            Hil.Log($"sim_gpio{Relay}/value after write 1: {on}, after write low: {off}");
            Hil.Expect(on == "1" && off == "0", $"sim_gpio{Relay}/value was {on} then {off}, expected 1 then 0");
            Hil.Expect(read.GetProperty("value").GetInt32() == 1, $"gpio.read of the driven relay: {read}");
        });

        await Hil.Check("gpio: gpio.watch reports the rising and falling edges of flipping the pull", async () =>
        {
            Pull(Button, "pull-down");
            await Task.Delay(100);
            JsonElement watch = Hil.Ok(await Hil.Call(gpio, mesh, "gpio.watch", """{"pin":"button","edge":"both","debounce_ms":0,"direct":true}"""), "gpio.watch");
            Hil.Expect(watch.GetProperty("watching").GetBoolean(), "gpio.watch is not watching");
            Pull(Button, "pull-up");
            Hil.Expect(await Hil.WaitUntil(() => Edges(mesh).Count >= 1, 5), "no gpio.edge event within 5 s of the pull going up");
            Pull(Button, "pull-down");
            Hil.Expect(await Hil.WaitUntil(() => Edges(mesh).Count >= 2, 5), "no second gpio.edge event within 5 s of the pull going down");
            await Task.Delay(300);
            List<(string Edge, int Value, string? To)> edges = Edges(mesh);
            Hil.Expect(edges.Count == 2, $"{edges.Count} edges reported, expected 2");
            Hil.Expect(edges[0] == ("rising", 1, "hil-controller") && edges[1] == ("falling", 0, "hil-controller"), $"edges: {string.Join(", ", edges)}");
            Hil.Ok(await Hil.Call(gpio, mesh, "gpio.watch", """{"pin":"button","stop":true}"""), "gpio.watch stop");
            Pull(Button, "pull-up");
            await Task.Delay(300);
            Hil.Expect(Edges(mesh).Count == 2, "an edge was reported after the watch stopped");
        });

        await Hil.Check("gpio: undeclared pins and wrong modes are refused and leave the line alone", async () =>
        {
            Pull(Undeclared, "pull-down");
            Hil.Refused(await Hil.Call(gpio, mesh, "gpio.write", $$"""{"pin":{{Undeclared}},"value":1}"""), GpioErrorCodes.UnknownPin, "gpio.write of an undeclared pin");
            Hil.Refused(await Hil.Call(gpio, mesh, "gpio.read", $$"""{"pin":{{Undeclared}}}""", CommandKind.Query), GpioErrorCodes.UnknownPin, "gpio.read of an undeclared pin");
            Hil.Refused(await Hil.Call(gpio, mesh, "gpio.watch", """{"pin":"nosuchpin"}"""), GpioErrorCodes.UnknownPin, "gpio.watch of an unknown alias");
            Hil.Refused(await Hil.Call(gpio, mesh, "gpio.write", """{"pin":"button","value":1}"""), GpioErrorCodes.WrongMode, "gpio.write of an input");
            Hil.Expect(File.ReadAllText(Sim(Undeclared, "value")).Trim() == "0", $"sim_gpio{Undeclared}/value changed although the pin is not declared");
        });
    }

    /// <summary>No GpioDriver registered: the plugin opens <c>new GpioController()</c>, the board's default driver, as on a device.</summary>
    public static async Task DefaultDriver()
    {
        string chip = File.ReadAllText("/run/gpiosim_chip").Trim();
        string dev = File.ReadAllText("/run/gpiosim_dev").Trim();
        await Hil.Check("gpio: with no driver registered the plugin's default GpioController reads the gpio-sim chip", async () =>
        {
            Hil.Expect(chip == "gpiochip0", $"the gpio-sim chip is {chip}; the default driver opens gpiochip0");
            var services = new ServiceCollection();
            services.AddMeowstikAgent(o => o.DeviceId = "hil-vm").AddGpio(o => o.Pins.Add(new GpioPinOptions { Number = 2, Name = "door", Mode = GpioPinMode.Input }));
            await using ServiceProvider provider = services.BuildServiceProvider();
            GpioCapability gpio = provider.GetRequiredService<GpioCapability>();
            var mesh = new HilPublisher();
            string pull = $"/sys/devices/platform/{dev}/{chip}/sim_gpio2/pull";
            File.WriteAllText(pull, "pull-up");
            JsonElement high = Hil.Ok(await Hil.Call(gpio, mesh, "gpio.read", """{"pin":"door"}""", CommandKind.Query), "gpio.read");
            File.WriteAllText(pull, "pull-down");
            JsonElement low = Hil.Ok(await Hil.Call(gpio, mesh, "gpio.read", """{"pin":"door"}""", CommandKind.Query), "gpio.read");
            Hil.Expect(high.GetProperty("value").GetInt32() == 1 && low.GetProperty("value").GetInt32() == 0, $"reads {high} then {low}, expected 1 then 0");
        });
    }

    private static List<(string Edge, int Value, string? To)> Edges(HilPublisher mesh) =>
        [.. mesh.Events.Where(e => e.Name == GpioCapability.EdgeEvent && e.Data.GetProperty("pin").GetInt32() == Button)
            .Select(e => (e.Data.GetProperty("edge").GetString()!, e.Data.GetProperty("value").GetInt32(), e.To))];
}
