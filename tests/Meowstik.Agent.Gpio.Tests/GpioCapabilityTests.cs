using System.Device.Gpio;
using System.Text.Json;
using Meowstik.Protocol;
using static Meowstik.Agent.Gpio.Tests.GpioRig;

namespace Meowstik.Agent.Gpio.Tests;

/// <summary>The gpio.* actions through the agent's dispatcher, on a fake chip behind the real GpioController.</summary>
public sealed class GpioCapabilityTests
{
    [Fact]
    public async Task Actions_are_advertised_with_their_kinds()
    {
        await using var rig = new GpioRig();
        Assert.Equal(["gpio.read"], rig.Harness.Queries);
        Assert.Equal(["gpio.pulse", "gpio.pwm", "gpio.watch", "gpio.write"], rig.Harness.Commands.Order());
        Assert.Equal("gpio", rig.Capability.Name);
    }

    [Fact]
    public async Task Pins_open_in_their_declared_modes_and_outputs_at_their_initial_value()
    {
        await using var rig = new GpioRig(o => o.Pins[1].InitialValue = GpioLevel.High);
        Ok(await rig.Query("gpio.read", """{"pin":17}"""));
        Assert.Equal(PinMode.InputPullUp, rig.Driver.ModeOf(Button));
        Assert.Equal(PinMode.Output, rig.Driver.ModeOf(Relay));
        Assert.Equal(PinValue.High, rig.Driver.LevelOf(Relay));   // InitialValue
        Assert.Equal(PinValue.High, rig.Driver.LevelOf(Door));    // no InitialValue: its SafeValue
        Assert.Equal(PinMode.Input, rig.Driver.ModeOf(Sensor));
        FakePwmChannel fan = rig.Pwm.Channels[(0, 0)];
        Assert.Equal((25_000, 0.0, false), (fan.Frequency, fan.DutyCycle, fan.Running));
        Assert.False(rig.Driver.IsOpen(Fan));                      // a PWM pin is a PWM channel, not a GPIO line
    }

    [Fact]
    public async Task Read_returns_a_pin_by_number_or_name_and_all_pins_without_one()
    {
        await using var rig = new GpioRig();
        JsonElement button = Ok(await rig.Query("gpio.read", """{"pin":"button"}"""));
        Assert.Equal((17, "button", "input_pullup", 1, "high"),
            (button.GetProperty("pin").GetInt32(), button.GetProperty("name").GetString(), button.GetProperty("mode").GetString(),
             button.GetProperty("value").GetInt32(), button.GetProperty("level").GetString()));

        rig.Driver.SetInput(Button, PinValue.Low);
        Assert.Equal(0, Ok(await rig.Query("gpio.read", """{"pin":17}""")).GetProperty("value").GetInt32());
        Assert.Equal(0, Ok(await rig.Query("gpio.read", """{"pin":"17"}""")).GetProperty("value").GetInt32());
        Assert.Equal("GPIO5", Ok(await rig.Query("gpio.read", """{"pin":5}""")).GetProperty("name").GetString());

        JsonElement all = Ok(await rig.Query("gpio.read", "{}")).GetProperty("pins");
        Assert.Equal([17, 27, 22, 5, 18], all.EnumerateArray().Select(p => p.GetProperty("pin").GetInt32()));
        JsonElement fan = all[4];
        Assert.Equal(("pwm", 0.0, 25_000, false),
            (fan.GetProperty("mode").GetString(), fan.GetProperty("duty_cycle").GetDouble(), fan.GetProperty("frequency").GetInt32(), fan.GetProperty("running").GetBoolean()));
    }

    [Fact]
    public async Task Write_drives_an_output_and_read_returns_the_level()
    {
        await using var rig = new GpioRig();
        JsonElement written = Ok(await rig.Command("gpio.write", """{"pin":"relay","value":1}"""));
        Assert.Equal((27, 1, "high"), (written.GetProperty("pin").GetInt32(), written.GetProperty("value").GetInt32(), written.GetProperty("level").GetString()));
        Assert.Equal(PinValue.High, rig.Driver.LevelOf(Relay));
        Assert.Equal("high", Ok(await rig.Query("gpio.read", """{"pin":27}""")).GetProperty("level").GetString());

        foreach ((string value, PinValue expected) in new[] { ("false", PinValue.Low), ("\"HIGH\"", PinValue.High), ("0", PinValue.Low), ("true", PinValue.High) })
        {
            Ok(await rig.Command("gpio.write", $$"""{"pin":27,"value":{{value}}}"""));
            Assert.Equal(expected, rig.Driver.LevelOf(Relay));
        }

        Refused(await rig.Command("gpio.write", """{"pin":27,"value":2}"""), GpioErrorCodes.InvalidParams);
        Refused(await rig.Command("gpio.write", """{"pin":27}"""), GpioErrorCodes.InvalidParams);
        Refused(await rig.Command("gpio.write", """{"value":1}"""), GpioErrorCodes.InvalidParams);
        // gpio.write changes state: a query naming it is refused by the dispatcher.
        Refused(await rig.Query("gpio.write", """{"pin":27,"value":1}"""), MeshErrorCodes.Forbidden);
        Assert.Equal(PinValue.High, rig.Driver.LevelOf(Relay));
    }

    [Fact]
    public async Task Undeclared_pins_and_wrong_modes_are_refused_with_typed_errors()
    {
        await using var rig = new GpioRig();
        string unknown = Refused(await rig.Command("gpio.write", """{"pin":4,"value":1}"""), GpioErrorCodes.UnknownPin);
        Assert.Contains("pin 4 is not declared", unknown);
        Assert.Contains("27 (relay)", unknown);                    // the message lists what is declared
        Refused(await rig.Query("gpio.read", """{"pin":"pump"}"""), GpioErrorCodes.UnknownPin);
        Refused(await rig.Command("gpio.pulse", """{"pin":99,"duration_ms":10}"""), GpioErrorCodes.UnknownPin);
        Assert.False(rig.Driver.IsOpen(4));

        Assert.Contains("declared InputPullUp", Refused(await rig.Command("gpio.write", """{"pin":"button","value":0}"""), GpioErrorCodes.WrongMode));
        Refused(await rig.Command("gpio.pulse", """{"pin":5,"duration_ms":10}"""), GpioErrorCodes.WrongMode);
        Refused(await rig.Command("gpio.write", """{"pin":"fan","value":1}"""), GpioErrorCodes.WrongMode);
        Assert.Contains("only Pwm pins", Refused(await rig.Command("gpio.pwm", """{"pin":"relay","duty_cycle":0.5}"""), GpioErrorCodes.WrongMode));
        Refused(await rig.Command("gpio.watch", """{"pin":"relay"}"""), GpioErrorCodes.WrongMode);
        Refused(await rig.Command("gpio.watch", """{"pin":"fan"}"""), GpioErrorCodes.WrongMode);
        Assert.DoesNotContain(rig.Driver.Writes, w => w.Pin != Relay && w.Pin != Door);
        Assert.Equal(0, rig.Capability.WatchCount);
    }

    [Fact]
    public async Task Pulse_drives_the_level_for_its_duration_then_restores_it()
    {
        await using var rig = new GpioRig();
        Task<CommandResult> pulse = rig.Command("gpio.pulse", """{"pin":"relay","duration_ms":250}""");
        await Until(() => rig.Driver.LevelOf(Relay) == PinValue.High);

        // While it runs the pin takes no other write, nor a second pulse.
        Refused(await rig.Command("gpio.write", """{"pin":27,"value":0}"""), GpioErrorCodes.Busy);
        Refused(await rig.Command("gpio.pulse", """{"pin":27,"duration_ms":10}"""), GpioErrorCodes.Busy);

        rig.Time.Advance(TimeSpan.FromMilliseconds(249));
        Assert.Equal(PinValue.High, rig.Driver.LevelOf(Relay));
        Assert.False(pulse.IsCompleted);
        int steps = 0;
        while (!pulse.IsCompleted && steps++ < 1000)
        {
            rig.Time.Advance(TimeSpan.FromMilliseconds(1));
            await Task.Delay(1);
        }

        JsonElement done = Ok(await pulse);
        Assert.Equal((1, 250.0, 0), (done.GetProperty("value").GetInt32(), done.GetProperty("duration_ms").GetDouble(), done.GetProperty("restored").GetInt32()));
        Assert.Equal(PinValue.Low, rig.Driver.LevelOf(Relay));
        Assert.Equal([PinValue.High, PinValue.Low], rig.Driver.Writes.Where(w => w.Pin == Relay).Skip(1).Select(w => w.Value)); // after the opening write

        // An explicit level, and the pin free again.
        Ok(await rig.Command("gpio.write", """{"pin":27,"value":1}"""));
        Task<CommandResult> low = rig.Command("gpio.pulse", """{"pin":27,"duration_ms":10,"value":"low"}""");
        await Until(() => rig.Driver.LevelOf(Relay) == PinValue.Low);
        while (!low.IsCompleted)
        {
            rig.Time.Advance(TimeSpan.FromMilliseconds(5));
            await Task.Delay(1);
        }

        Ok(await low);
        Assert.Equal(PinValue.High, rig.Driver.LevelOf(Relay));
    }

    [Fact]
    public async Task Absurd_pulse_lengths_are_refused()
    {
        await using var rig = new GpioRig(o => o.MaxPulse = TimeSpan.FromSeconds(2));
        Assert.Contains("at most 2000", Refused(await rig.Command("gpio.pulse", """{"pin":27,"duration_ms":2001}"""), GpioErrorCodes.OutOfRange));
        Refused(await rig.Command("gpio.pulse", """{"pin":27,"duration_ms":0}"""), GpioErrorCodes.OutOfRange);
        Refused(await rig.Command("gpio.pulse", """{"pin":27,"duration_ms":-5}"""), GpioErrorCodes.OutOfRange);
        Refused(await rig.Command("gpio.pulse", """{"pin":27,"duration_ms":1e300}"""), GpioErrorCodes.OutOfRange);
        Refused(await rig.Command("gpio.pulse", """{"pin":27,"duration_ms":"100"}"""), GpioErrorCodes.InvalidParams);
        Refused(await rig.Command("gpio.pulse", """{"pin":27}"""), GpioErrorCodes.InvalidParams);
        Assert.DoesNotContain(rig.Driver.Writes, w => w.Pin == Relay && w.Value == PinValue.High);
    }

    [Fact]
    public async Task A_pulse_cut_short_by_the_command_timeout_still_restores_the_level()
    {
        await using var rig = new GpioRig(o => o.MaxPulse = TimeSpan.FromSeconds(60));
        Task<CommandResult> pulse = rig.Harness.CommandAsync("gpio.pulse", Params("""{"pin":27,"duration_ms":45000}"""));
        await Until(() => rig.Driver.LevelOf(Relay) == PinValue.High);
        rig.Time.Advance(TimeSpan.FromSeconds(31));              // the agent's 30 s command timeout
        Refused(await pulse, MeshErrorCodes.Timeout);
        await Until(() => rig.Driver.LevelOf(Relay) == PinValue.Low);
    }

    [Fact]
    public async Task Pwm_sets_duty_cycle_and_frequency_within_the_pins_limits_and_stops()
    {
        await using var rig = new GpioRig();
        JsonElement set = Ok(await rig.Command("gpio.pwm", """{"pin":"fan","duty_cycle":0.5,"frequency":20000}"""));
        FakePwmChannel fan = rig.Pwm.Channels[(0, 0)];
        Assert.Equal((20_000, 0.5, true), (fan.Frequency, fan.DutyCycle, fan.Running));
        Assert.Equal((0.5, 20_000, true), (set.GetProperty("duty_cycle").GetDouble(), set.GetProperty("frequency").GetInt32(), set.GetProperty("running").GetBoolean()));

        Assert.Contains("0 to 0.8", Refused(await rig.Command("gpio.pwm", """{"pin":18,"duty_cycle":0.9}"""), GpioErrorCodes.OutOfRange));
        Refused(await rig.Command("gpio.pwm", """{"pin":18,"duty_cycle":-0.1}"""), GpioErrorCodes.OutOfRange);
        Refused(await rig.Command("gpio.pwm", """{"pin":18,"duty_cycle":0.2,"frequency":0}"""), GpioErrorCodes.OutOfRange);
        Refused(await rig.Command("gpio.pwm", """{"pin":18,"duty_cycle":0.2,"frequency":2000000}"""), GpioErrorCodes.OutOfRange);
        Refused(await rig.Command("gpio.pwm", """{"pin":18}"""), GpioErrorCodes.InvalidParams);
        Assert.Equal((20_000, 0.5), (fan.Frequency, fan.DutyCycle));   // refusals change nothing

        Ok(await rig.Command("gpio.pwm", """{"pin":18,"stop":true}"""));
        Assert.Equal((0.0, false), (fan.DutyCycle, fan.Running));
        Assert.False(Ok(await rig.Query("gpio.read", """{"pin":"fan"}""")).GetProperty("running").GetBoolean());
    }

    [Fact]
    public async Task A_watch_sends_each_edge_as_an_event_until_stopped()
    {
        await using var rig = new GpioRig();
        JsonElement started = Ok(await rig.Command("gpio.watch", """{"pin":"button"}"""));
        Assert.Equal((true, "gpio.edge", "both", 20.0, "broadcast"),
            (started.GetProperty("watching").GetBoolean(), started.GetProperty("event").GetString(), started.GetProperty("edge").GetString(),
             started.GetProperty("debounce_ms").GetDouble(), started.GetProperty("to").GetString()));

        rig.Driver.SetInput(Button, PinValue.Low);             // pressed (pull-up: low)
        rig.Time.Advance(TimeSpan.FromMilliseconds(500));
        rig.Driver.SetInput(Button, PinValue.High);            // released
        Assert.Equal(2, rig.Publisher.Events.Count);
        RecordedEvent pressed = rig.Publisher.Events[0];
        Assert.Equal((GpioCapability.EdgeEvent, "broadcast"), (pressed.Name, pressed.To));
        Assert.Equal((17, "button", "falling", 0, 1L, "2026-12-01T12:00:00.000Z"),
            (pressed.Data.GetProperty("pin").GetInt32(), pressed.Data.GetProperty("name").GetString(), pressed.Data.GetProperty("edge").GetString(),
             pressed.Data.GetProperty("value").GetInt32(), pressed.Data.GetProperty("seq").GetInt64(), pressed.Data.GetProperty("at").GetString()));
        RecordedEvent released = rig.Publisher.Events[1];
        Assert.Equal(("rising", 1, 2L, "2026-12-01T12:00:00.500Z"),
            (released.Data.GetProperty("edge").GetString(), released.Data.GetProperty("value").GetInt32(), released.Data.GetProperty("seq").GetInt64(), released.Data.GetProperty("at").GetString()));

        JsonElement stopped = Ok(await rig.Command("gpio.watch", """{"pin":"button","stop":true}"""));
        Assert.True(stopped.GetProperty("stopped").GetBoolean());
        Assert.Equal(0, rig.Capability.WatchCount);
        Assert.Equal(0, rig.Driver.CallbackCount);             // the driver callback is released with the last watch
        rig.Time.Advance(TimeSpan.FromSeconds(1));
        rig.Driver.SetInput(Button, PinValue.Low);
        Assert.Equal(2, rig.Publisher.Events.Count);
        Assert.False(Ok(await rig.Command("gpio.watch", """{"pin":"button","stop":true}""")).GetProperty("stopped").GetBoolean());
    }

    [Fact]
    public async Task A_watch_filters_edges_and_goes_direct_to_the_requester_when_asked()
    {
        await using var rig = new GpioRig();
        JsonElement started = Ok(await rig.Command("gpio.watch", """{"pin":5,"edge":"rising","direct":true,"debounce_ms":0}"""));
        Assert.Equal(("controller-001", "rising", 0.0), (started.GetProperty("to").GetString(), started.GetProperty("edge").GetString(), started.GetProperty("debounce_ms").GetDouble()));
        for (int i = 0; i < 3; i++)
        {
            rig.Driver.SetInput(Sensor, PinValue.High);
            rig.Driver.SetInput(Sensor, PinValue.Low);
        }

        Assert.Equal(3, rig.Publisher.Events.Count);          // no debounce: every rising edge, no falling one
        Assert.All(rig.Publisher.Events, e => Assert.Equal(("rising", "controller-001"), (e.Data.GetProperty("edge").GetString(), e.To)));
        Assert.Equal([1L, 2L, 3L], rig.Publisher.Events.Select(e => e.Data.GetProperty("seq").GetInt64()));

        Refused(await rig.Command("gpio.watch", """{"pin":5,"edge":"sideways"}"""), GpioErrorCodes.InvalidParams);
        Refused(await rig.Command("gpio.watch", """{"pin":5,"debounce_ms":60000}"""), GpioErrorCodes.OutOfRange);
        Assert.Equal(1, rig.Capability.WatchCount);
    }

    [Fact]
    public async Task Debounce_absorbs_bounces_and_reports_where_the_level_settled()
    {
        await using var rig = new GpioRig();
        Ok(await rig.Command("gpio.watch", """{"pin":"button","debounce_ms":20}"""));
        TimeSpan ms = TimeSpan.FromMilliseconds(1);

        // A press that bounces: low, high, low inside 20 ms. One event; the settle check finds it still low.
        rig.Driver.SetInput(Button, PinValue.Low);
        rig.Time.Advance(2 * ms);
        rig.Driver.SetInput(Button, PinValue.High);
        rig.Time.Advance(2 * ms);
        rig.Driver.SetInput(Button, PinValue.Low);
        rig.Time.Advance(30 * ms);
        Assert.Single(rig.Publisher.Events);
        Assert.Equal(("falling", 0L), (rig.Publisher.Events[0].Data.GetProperty("edge").GetString(), rig.Publisher.Events[0].Data.GetProperty("bounces").GetInt64()));

        // A release after the window is reported at once.
        rig.Time.Advance(100 * ms);
        rig.Driver.SetInput(Button, PinValue.High);
        Assert.Equal(2, rig.Publisher.Events.Count);
        Assert.Equal("rising", rig.Publisher.Events[1].Data.GetProperty("edge").GetString());

        // A tap shorter than the window: the release is absorbed, then reported when the window ends (the last state is never lost).
        rig.Time.Advance(100 * ms);
        rig.Driver.SetInput(Button, PinValue.Low);
        rig.Time.Advance(5 * ms);
        rig.Driver.SetInput(Button, PinValue.High);
        Assert.Equal(3, rig.Publisher.Events.Count);
        rig.Time.Advance(14 * ms);
        Assert.Equal(3, rig.Publisher.Events.Count);          // 19 ms after the press: still inside the window
        rig.Time.Advance(1 * ms);
        Assert.Equal(4, rig.Publisher.Events.Count);
        JsonElement settled = rig.Publisher.Events[3].Data;
        Assert.Equal(("rising", 1, 1L, 4L), (settled.GetProperty("edge").GetString(), settled.GetProperty("value").GetInt32(), settled.GetProperty("bounces").GetInt64(), settled.GetProperty("seq").GetInt64()));
        Assert.Equal(["falling", "rising", "falling", "rising"], rig.Publisher.Events.Select(e => e.Data.GetProperty("edge").GetString()));
    }

    [Fact]
    public async Task Watches_from_the_options_start_with_the_agent_and_stop_with_it()
    {
        var rig = new GpioRig(o =>
        {
            o.Pins[3].Watch = true;
            o.Pins[3].WatchEdge = GpioEdge.Falling;
            o.EventTarget = "hub";
        });
        await using (rig)
        {
            rig.Harness.StartBackground(rig.Capability);
            await Until(() => rig.Capability.WatchCount == 1);
            rig.Driver.SetInput(Sensor, PinValue.High);
            rig.Time.Advance(TimeSpan.FromSeconds(1));
            rig.Driver.SetInput(Sensor, PinValue.Low);
            RecordedEvent e = Assert.Single(rig.Publisher.Events);
            Assert.Equal(("falling", 5, (string?)null), (e.Data.GetProperty("edge").GetString(), e.Data.GetProperty("pin").GetInt32(), e.To));
            await rig.Harness.DisposeAsync();                   // the agent stops
            Assert.Equal(0, rig.Capability.WatchCount);
            Assert.Equal(0, rig.Driver.CallbackCount);
        }
    }

    [Fact]
    public async Task Watches_are_bounded()
    {
        await using var rig = new GpioRig(o => o.MaxWatches = 1);
        Ok(await rig.Command("gpio.watch", """{"pin":17}"""));
        Ok(await rig.Command("gpio.watch", """{"pin":17,"edge":"falling"}"""));   // the requester's own watch is replaced
        Refused(await rig.Command("gpio.watch", """{"pin":5}"""), GpioErrorCodes.TooManyWatches);
        Refused(await rig.Harness.SendAsync(CommandKind.Command, "gpio.watch", Params("""{"pin":17}"""), null, "phone-002"), GpioErrorCodes.TooManyWatches);
        Assert.Equal(1, rig.Capability.WatchCount);
    }

    [Fact]
    public async Task Dispose_puts_outputs_to_their_safe_value_stops_pwm_and_releases_the_chip()
    {
        await using var rig = new GpioRig();
        Ok(await rig.Command("gpio.write", """{"pin":"relay","value":1}"""));
        Ok(await rig.Command("gpio.write", """{"pin":"door","value":0}"""));
        Ok(await rig.Command("gpio.pwm", """{"pin":"fan","duty_cycle":0.7}"""));
        Ok(await rig.Command("gpio.watch", """{"pin":"button"}"""));
        FakePwmChannel fan = rig.Pwm.Channels[(0, 0)];
        Assert.True(fan.Running);

        rig.Capability.Dispose();

        Assert.Equal(PinValue.Low, rig.Driver.LevelOf(Relay));   // SafeValue default: low
        Assert.Equal(PinValue.High, rig.Driver.LevelOf(Door));   // SafeValue: high
        Assert.Equal((0.0, false, true), (fan.DutyCycle, fan.Running, fan.Disposed));
        Assert.Equal(0, rig.Driver.CallbackCount);
        Assert.True(rig.Driver.Disposed);
        Assert.False(rig.Driver.IsOpen(Relay));
        Assert.Equal(0, rig.Capability.WatchCount);

        rig.Driver.SetInput(Button, PinValue.Low);
        Assert.Empty(rig.Publisher.Events);
        Assert.Contains("shut down", Refused(await rig.Command("gpio.write", """{"pin":27,"value":1}"""), GpioErrorCodes.Unavailable));
        Refused(await rig.Query("gpio.read", """{"pin":17}"""), GpioErrorCodes.Unavailable);
        Refused(await rig.Command("gpio.pwm", """{"pin":18,"duty_cycle":0.5}"""), GpioErrorCodes.Unavailable);
        Assert.False(fan.Running);
        rig.Capability.Dispose();                                // twice is harmless
    }

    [Fact]
    public async Task Shutting_down_during_a_pulse_leaves_the_safe_value()
    {
        await using var rig = new GpioRig();
        Task<CommandResult> pulse = rig.Command("gpio.pulse", """{"pin":"relay","duration_ms":1000}""");
        await Until(() => rig.Driver.LevelOf(Relay) == PinValue.High);
        rig.Capability.Dispose();
        Assert.Equal(PinValue.Low, rig.Driver.LevelOf(Relay));
        int writes = rig.Driver.Writes.Count;
        while (!pulse.IsCompleted)
        {
            rig.Time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1);
        }

        Refused(await pulse, GpioErrorCodes.Unavailable);
        Assert.Equal(writes, rig.Driver.Writes.Count);            // the pulse's restore did not write after the shutdown
    }

    [Fact]
    public async Task A_chip_that_cannot_be_opened_answers_unavailable_and_is_retried()
    {
        int attempts = 0;
        var driver = new SimulatedGpioDriver();
        await using var rig = new GpioRig(
            o =>
            {
                GpioPinOptions fan = o.Pins[4];                  // the PWM channel opens first, then the chip fails
                o.Pins.RemoveAt(4);
                o.Pins.Insert(0, fan);
            },
            () => ++attempts == 1 ? throw new UnauthorizedAccessException("Access to /dev/gpiochip0 is denied.") : new GpioController(driver));
        string message = Refused(await rig.Query("gpio.read", """{"pin":17}"""), GpioErrorCodes.Unavailable);
        Assert.Contains("/dev/gpiochip0 is denied", message);
        FakePwmChannel first = rig.Pwm.Channels[(0, 0)];
        Assert.True(first.Disposed);                            // what was opened before the failure is closed again
        Ok(await rig.Query("gpio.read", """{"pin":17}"""));
        Assert.Equal(2, attempts);
        Assert.NotSame(first, rig.Pwm.Channels[(0, 0)]);
        Assert.Equal(PinMode.InputPullUp, driver.ModeOf(Button));
    }

    [Fact]
    public void Invalid_options_are_refused_by_the_constructor_naming_the_key()
    {
        var options = new GpioOptions { Pins = { new GpioPinOptions { Mode = GpioPinMode.Output } } };
        ArgumentException e = Assert.Throws<ArgumentException>(() => new GpioCapability(options, () => new GpioController(new SimulatedGpioDriver())));
        Assert.StartsWith("Meowstik:Gpio:Pins:0:Number is not set", e.Message);
    }

    internal static async Task Until(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }
}
