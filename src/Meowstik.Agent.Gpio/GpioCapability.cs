using System.Device.Gpio;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Agent.Gpio;

/// <summary>
/// The <c>gpio</c> capability: the query <c>gpio.read</c> and the commands <c>gpio.write</c>, <c>gpio.pulse</c>,
/// <c>gpio.watch</c> (edges as debounced <c>gpio.edge</c> events) and <c>gpio.pwm</c>, on the pins declared in
/// <see cref="GpioOptions.Pins"/> only, each only as its <see cref="GpioPinMode"/> allows. The pins are opened on first use
/// (or when the agent runs <see cref="RunAsync"/>, which also starts the watches the options ask for); disposing the
/// capability puts outputs to their <see cref="GpioPinOptions.SafeValue"/>, stops PWM and releases the pins.
/// </summary>
public sealed class GpioCapability : MeshCapability, IDisposable
{
    /// <summary>The event a watch sends for each reported edge: <c>gpio.edge</c>.</summary>
    public const string EdgeEvent = "gpio.edge";

    /// <summary>The lowest PWM frequency accepted, in Hz.</summary>
    public const int MinPwmFrequency = 1;

    /// <summary>The highest PWM frequency accepted, in Hz.</summary>
    public const int MaxPwmFrequency = 1_000_000;

    private const string OptionsOwner = "";

    private readonly GpioOptions _options;
    private readonly Func<GpioController> _controllerFactory;
    private readonly IGpioPwmChannelFactory _pwmFactory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly GpioInstruments _instruments;
    private readonly PinState[] _pins;
    private readonly Dictionary<int, PinState> _byNumber = [];
    private readonly Dictionary<string, PinState> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _io = new();
    private readonly Lock _watchGate = new();
    private readonly Dictionary<(int Pin, string Owner), Watch> _watches = [];
    private GpioController? _controller;
    private bool _opened;
    private volatile bool _disposed;

    /// <summary>Creates the capability; nothing is opened until the first request or <see cref="RunAsync"/>.</summary>
    /// <param name="options">The declared pins and limits.</param>
    /// <param name="controllerFactory">Creates the GPIO controller: <c>new GpioController()</c> (the board's best driver) when null; tests pass <c>() =&gt; new GpioController(fakeDriver)</c>. The capability disposes it.</param>
    /// <param name="pwmChannels">Opens the PWM channels; <see cref="SystemPwmChannelFactory"/> when null.</param>
    /// <param name="timeProvider">Pulses, debounce and event times; the system clock when null.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="meterFactory">Creates the <c>Meowstik.Agent.Gpio</c> meter.</param>
    /// <exception cref="ArgumentException">The options are invalid (the message names the key).</exception>
    public GpioCapability(
        GpioOptions options,
        Func<GpioController>? controllerFactory = null,
        IGpioPwmChannelFactory? pwmChannels = null,
        TimeProvider? timeProvider = null,
        ILogger<GpioCapability>? logger = null,
        IMeterFactory? meterFactory = null)
        : base("gpio")
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (string error in options.FindErrors(GpioOptions.SectionName))
        {
            throw new ArgumentException(error, nameof(options));
        }

        _options = options;
        _controllerFactory = controllerFactory ?? (static () => new GpioController());
        _pwmFactory = pwmChannels ?? SystemPwmChannelFactory.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _instruments = new GpioInstruments(meterFactory);
        _pins = [.. options.Pins.Select(static p => new PinState(p))];
        foreach (PinState pin in _pins)
        {
            _byNumber[pin.Number] = pin;
            if (!string.IsNullOrEmpty(pin.Options.Name))
            {
                _byName[pin.Options.Name] = pin;
            }
        }

        HandleQuery("gpio.read", Read);
        Handle("gpio.write", Write);
        Handle("gpio.pulse", PulseAsync);
        Handle("gpio.watch", WatchCommand);
        Handle("gpio.pwm", Pwm);
    }

    /// <summary>The number of open watches (from requests and from the options).</summary>
    public int WatchCount
    {
        get
        {
            lock (_watchGate)
            {
                return _watches.Count;
            }
        }
    }

    /// <summary>Opens the pins, starts the watches the options declare (<see cref="GpioPinOptions.Watch"/>) and keeps them until cancelled.</summary>
    /// <param name="publisher">Where the options' watches send <c>gpio.edge</c> events.</param>
    /// <param name="cancellationToken">Cancelled when the agent stops.</param>
    /// <returns>A task that ends when the agent stops.</returns>
    public override async Task RunAsync(IMeshPublisher publisher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        try
        {
            EnsureOpen();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            GpioLog.OpenFailed(_logger, e);
            return;
        }

        var started = new List<PinState>();
        foreach (PinState pin in _pins)
        {
            if (pin.Options.Watch
                && StartWatch(pin, OptionsOwner, EventTargetTo, pin.Options.WatchEdge, pin.Options.Debounce ?? _options.Debounce, publisher))
            {
                started.Add(pin);
                GpioLog.WatchStarted(_logger, "options", pin.Name, pin.Options.WatchEdge, (pin.Options.Debounce ?? _options.Debounce).TotalMilliseconds);
            }
        }

        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The agent stops.
        }
        finally
        {
            foreach (PinState pin in started)
            {
                StopWatch(pin, OptionsOwner);
            }
        }
    }

    /// <summary>
    /// Puts every pin in its safe state and releases it: watches stop, outputs go to their <see cref="GpioPinOptions.SafeValue"/>,
    /// PWM channels go to duty cycle 0 and stop, then the controller (and its driver) is disposed. Requests answer
    /// <c>gpio_unavailable</c> afterwards. The host disposes the capability when it stops.
    /// </summary>
    public void Dispose()
    {
        lock (_watchGate)
        {
            lock (_io)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                foreach (Watch w in _watches.Values)
                {
                    w.Stop();
                }

                _watches.Clear();
                foreach (PinState pin in _pins)
                {
                    pin.Watches = [];
                    if (pin.Handler is { } handler && _controller is not null)
                    {
                        Try(pin, "unwatch", () => _controller.UnregisterCallbackForPinValueChangedEvent(pin.Number, handler));
                    }

                    pin.Handler = null;
                }

                if (_opened)
                {
                    foreach (PinState pin in _pins)
                    {
                        if (pin.Options.Mode == GpioPinMode.Output && _controller is not null)
                        {
                            Try(pin, "safe state", () => _controller.Write(pin.Number, ToPinValue(pin.Options.SafeValue)));
                        }
                        else if (pin.Pwm is { } pwm)
                        {
                            Try(pin, "safe state", () =>
                            {
                                pwm.DutyCycle = 0;
                                pwm.Stop();
                            });
                            Try(pin, "close", pwm.Dispose);
                            pin.Pwm = null;
                            pin.Running = false;
                            pin.Duty = 0;
                        }
                    }

                    GpioLog.SafeState(_logger);
                }

                if (_controller is { } controller)
                {
                    Try("pins", "close", controller.Dispose);
                    _controller = null;
                }
            }
        }
    }

    private string? EventTargetTo => string.Equals(_options.EventTarget, "hub", StringComparison.OrdinalIgnoreCase) ? null : _options.EventTarget;

    /// <summary>Opens the declared pins once: inputs with their pull, outputs at their initial value, PWM channels (stopped unless an initial duty cycle is set).</summary>
    internal void EnsureOpen()
    {
        lock (_io)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_opened)
            {
                return;
            }

            GpioController? controller = null;
            try
            {
                foreach (PinState pin in _pins)
                {
                    GpioPinOptions o = pin.Options;
                    switch (o.Mode)
                    {
                        case GpioPinMode.Pwm:
                            pin.Pwm = _pwmFactory.Create(o.PwmChip, o.PwmChannel, o.Frequency, o.InitialDutyCycle);
                            pin.Frequency = o.Frequency;
                            pin.Duty = o.InitialDutyCycle;
                            if (o.InitialDutyCycle > 0)
                            {
                                pin.Pwm.Start();
                                pin.Running = true;
                            }

                            break;
                        case GpioPinMode.Output:
                            controller ??= _controllerFactory();
                            controller.OpenPin(pin.Number, PinMode.Output, ToPinValue(o.InitialValue ?? o.SafeValue));
                            break;
                        default:
                            controller ??= _controllerFactory();
                            controller.OpenPin(pin.Number, o.Mode switch
                            {
                                GpioPinMode.InputPullUp => PinMode.InputPullUp,
                                GpioPinMode.InputPullDown => PinMode.InputPullDown,
                                _ => PinMode.Input,
                            });
                            break;
                    }
                }
            }
            catch
            {
                foreach (PinState pin in _pins)
                {
                    pin.Pwm?.Dispose();
                    pin.Pwm = null;
                    pin.Running = false;
                }

                controller?.Dispose();
                throw;
            }

            _controller = controller;
            _opened = true;
        }

        GpioLog.Opened(_logger, _pins.Length);
    }

    private CommandResult Read(CommandContext context)
    {
        bool all = !context.TryGetParam("pin", out _);
        PinState? one = null;
        if (!all && !TryResolve(context, out one, out CommandResult? error))
        {
            return error!;
        }

        if (!TryOpen(out CommandResult? unavailable))
        {
            return unavailable!;
        }

        try
        {
            Snapshot[] snapshots = all ? [.. _pins.Select(TakeSnapshot)] : [TakeSnapshot(one!)];
            return all
                ? CommandResult.Ok(w =>
                {
                    w.WriteStartArray("pins");
                    foreach (Snapshot s in snapshots)
                    {
                        w.WriteStartObject();
                        WriteSnapshot(w, s);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                })
                : CommandResult.Ok(w => WriteSnapshot(w, snapshots[0]));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return DriverFailed(one, "read", e);
        }
    }

    private CommandResult Write(CommandContext context)
    {
        if (!TryResolve(context, out PinState? pin, out CommandResult? error))
        {
            return error!;
        }

        if (pin!.Options.Mode != GpioPinMode.Output)
        {
            return Refuse(GpioErrorCodes.WrongMode, $"gpio.write: {Describe(pin)} is declared {pin.Options.Mode}; only Output pins can be written.");
        }

        if (!TryLevel(context, "value", out GpioLevel level))
        {
            return Refuse(GpioErrorCodes.InvalidParams, "gpio.write needs 'value': 0, 1, true, false, \"low\" or \"high\", e.g. {\"pin\":17,\"value\":1}.");
        }

        if (Volatile.Read(ref pin.Busy) != 0)
        {
            return Refuse(GpioErrorCodes.Busy, $"gpio.write: {Describe(pin)} is running a gpio.pulse; write after it ends.");
        }

        if (!TryOpen(out CommandResult? unavailable))
        {
            return unavailable!;
        }

        try
        {
            WriteLevel(pin, level);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return DriverFailed(pin, "write", e);
        }

        _instruments.Writes.Add(1, new KeyValuePair<string, object?>("action", "write"));
        GpioLog.Changed(_logger, pin.Name, "written", context.From);
        return CommandResult.Ok(w =>
        {
            WriteIdentity(w, pin);
            WriteLevelFields(w, level);
        });
    }

    private async ValueTask<CommandResult> PulseAsync(CommandContext context, CancellationToken cancellationToken)
    {
        if (!TryResolve(context, out PinState? pin, out CommandResult? error))
        {
            return error!;
        }

        if (pin!.Options.Mode != GpioPinMode.Output)
        {
            return Refuse(GpioErrorCodes.WrongMode, $"gpio.pulse: {Describe(pin)} is declared {pin.Options.Mode}; only Output pins can be pulsed.");
        }

        double max = _options.MaxPulse.TotalMilliseconds;
        if (!context.TryGetParam("duration_ms", out JsonElement d) || d.ValueKind != JsonValueKind.Number || !d.TryGetDouble(out double ms))
        {
            return Refuse(GpioErrorCodes.InvalidParams, $"gpio.pulse needs 'duration_ms': a number of milliseconds above 0 and at most {max:0.###}, e.g. {{\"pin\":17,\"duration_ms\":250}}.");
        }

        if (!double.IsFinite(ms) || ms <= 0 || ms > max)
        {
            return Refuse(GpioErrorCodes.OutOfRange, string.Create(CultureInfo.InvariantCulture, $"gpio.pulse: duration_ms {ms} is out of range: above 0 and at most {max:0.###} (Meowstik:Gpio:MaxPulse)."));
        }

        GpioLevel? requested = null;
        if (context.TryGetParam("value", out _))
        {
            if (!TryLevel(context, "value", out GpioLevel v))
            {
                return Refuse(GpioErrorCodes.InvalidParams, "gpio.pulse: 'value' (the pulse's level) is 0, 1, true, false, \"low\" or \"high\"; without it the pulse inverts the current level.");
            }

            requested = v;
        }

        if (!TryOpen(out CommandResult? unavailable))
        {
            return unavailable!;
        }

        if (Interlocked.CompareExchange(ref pin.Busy, 1, 0) != 0)
        {
            return Refuse(GpioErrorCodes.Busy, $"gpio.pulse: {Describe(pin)} is already running a pulse.");
        }

        try
        {
            GpioLevel before;
            GpioLevel level;
            try
            {
                before = ReadLevel(pin);
                level = requested ?? (before == GpioLevel.High ? GpioLevel.Low : GpioLevel.High);
                WriteLevel(pin, level);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return DriverFailed(pin, "pulse", e);
            }

            _instruments.Writes.Add(1, new KeyValuePair<string, object?>("action", "pulse"));
            GpioLog.Changed(_logger, pin.Name, "pulsed", context.From);
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(ms), _time, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // Back to the level before, even when the command times out or the agent stops (not after the plugin shut down:
                // the safe state stays).
                try
                {
                    WriteLevel(pin, before);
                }
                catch (ObjectDisposedException)
                {
                    // Shut down during the pulse: the pin is in its safe state.
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    GpioLog.DriverFailed(_logger, e, pin.Name, "pulse restore");
                }
            }

            if (_disposed)
            {
                return Refuse(GpioErrorCodes.Unavailable, $"gpio.pulse: the GPIO plugin shut down during the pulse; {Describe(pin)} is at its safe value.");
            }

            return CommandResult.Ok(w =>
            {
                WriteIdentity(w, pin);
                WriteLevelFields(w, level);
                w.WriteNumber("duration_ms", ms);
                w.WriteNumber("restored", (int)before);
            });
        }
        finally
        {
            Volatile.Write(ref pin.Busy, 0);
        }
    }

    private CommandResult WatchCommand(CommandContext context)
    {
        if (!TryResolve(context, out PinState? pin, out CommandResult? error))
        {
            return error!;
        }

        if (context.TryGetParam("stop", out JsonElement stop) && stop.ValueKind == JsonValueKind.True)
        {
            bool stopped = StopWatch(pin!, context.From);
            if (stopped)
            {
                GpioLog.WatchStopped(_logger, context.From, pin!.Name);
            }

            return CommandResult.Ok(w =>
            {
                WriteIdentity(w, pin!);
                w.WriteBoolean("watching", false);
                w.WriteBoolean("stopped", stopped);
            });
        }

        if (!pin!.Options.IsInput)
        {
            return Refuse(GpioErrorCodes.WrongMode, $"gpio.watch: {Describe(pin)} is declared {pin.Options.Mode}; only inputs (Input, InputPullUp, InputPullDown) can be watched.");
        }

        GpioEdge edge = GpioEdge.Both;
        if (context.TryGetParam("edge", out JsonElement e))
        {
            if (e.ValueKind != JsonValueKind.String || !TryEdge(e.GetString(), out edge))
            {
                return Refuse(GpioErrorCodes.InvalidParams, "gpio.watch: 'edge' is \"both\" (the default), \"rising\" or \"falling\".");
            }
        }

        TimeSpan debounce = pin.Options.Debounce ?? _options.Debounce;
        if (context.TryGetParam("debounce_ms", out JsonElement db))
        {
            double limit = GpioOptions.MaxDebounceLimit.TotalMilliseconds;
            if (db.ValueKind != JsonValueKind.Number || !db.TryGetDouble(out double dms) || !double.IsFinite(dms) || dms < 0 || dms > limit)
            {
                return Refuse(GpioErrorCodes.OutOfRange, string.Create(CultureInfo.InvariantCulture, $"gpio.watch: 'debounce_ms' is a number from 0 to {limit}."));
            }

            debounce = TimeSpan.FromMilliseconds(dms);
        }

        bool direct = context.TryGetParam("direct", out JsonElement dir) && dir.ValueKind == JsonValueKind.True;
        string? to = direct ? context.From : EventTargetTo;
        if (!TryOpen(out CommandResult? unavailable))
        {
            return unavailable!;
        }

        try
        {
            if (!StartWatch(pin, context.From, to, edge, debounce, context.Publisher))
            {
                return Refuse(GpioErrorCodes.TooManyWatches, string.Create(CultureInfo.InvariantCulture, $"gpio.watch: {_options.MaxWatches} watches are open (Meowstik:Gpio:MaxWatches); stop one first (\"stop\": true)."));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return DriverFailed(pin, "watch", ex);
        }

        GpioLog.WatchStarted(_logger, context.From, pin.Name, edge, debounce.TotalMilliseconds);
        return CommandResult.Ok(w =>
        {
            WriteIdentity(w, pin);
            w.WriteBoolean("watching", true);
            w.WriteString("event", EdgeEvent);
            w.WriteString("edge", EdgeName(edge));
            w.WriteNumber("debounce_ms", debounce.TotalMilliseconds);
            w.WriteString("to", to ?? "hub");
        });
    }

    private CommandResult Pwm(CommandContext context)
    {
        if (!TryResolve(context, out PinState? pin, out CommandResult? error))
        {
            return error!;
        }

        if (pin!.Options.Mode != GpioPinMode.Pwm)
        {
            return Refuse(GpioErrorCodes.WrongMode, $"gpio.pwm: {Describe(pin)} is declared {pin.Options.Mode}; only Pwm pins take a duty cycle.");
        }

        bool stop = context.TryGetParam("stop", out JsonElement s) && s.ValueKind == JsonValueKind.True;
        double duty = 0;
        int? frequency = null;
        if (!stop)
        {
            double maxDuty = pin.Options.MaxDutyCycle;
            if (!context.TryGetParam("duty_cycle", out JsonElement dc) || dc.ValueKind != JsonValueKind.Number || !dc.TryGetDouble(out duty))
            {
                return Refuse(GpioErrorCodes.InvalidParams, string.Create(CultureInfo.InvariantCulture, $"gpio.pwm needs 'duty_cycle': a fraction from 0 to {maxDuty}, e.g. {{\"pin\":18,\"duty_cycle\":0.5}} (or \"stop\": true)."));
            }

            if (!double.IsFinite(duty) || duty < 0 || duty > maxDuty)
            {
                return Refuse(GpioErrorCodes.OutOfRange, string.Create(CultureInfo.InvariantCulture, $"gpio.pwm: duty_cycle {duty} is out of range for {Describe(pin)}: 0 to {maxDuty}."));
            }

            if (context.TryGetParam("frequency", out JsonElement f))
            {
                if (f.ValueKind != JsonValueKind.Number || !f.TryGetDouble(out double hz) || !double.IsFinite(hz) || hz < MinPwmFrequency || hz > MaxPwmFrequency || hz != Math.Floor(hz))
                {
                    return Refuse(GpioErrorCodes.OutOfRange, string.Create(CultureInfo.InvariantCulture, $"gpio.pwm: 'frequency' is a whole number of Hz from {MinPwmFrequency} to {MaxPwmFrequency}."));
                }

                frequency = (int)hz;
            }
        }

        if (!TryOpen(out CommandResult? unavailable))
        {
            return unavailable!;
        }

        try
        {
            lock (_io)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                IGpioPwmChannel channel = pin.Pwm!;
                if (stop)
                {
                    channel.DutyCycle = 0;
                    channel.Stop();
                    pin.Duty = 0;
                    pin.Running = false;
                }
                else
                {
                    if (frequency is { } hz && hz != pin.Frequency)
                    {
                        channel.Frequency = hz;
                        pin.Frequency = hz;
                    }

                    channel.DutyCycle = duty;
                    pin.Duty = duty;
                    if (!pin.Running)
                    {
                        channel.Start();
                        pin.Running = true;
                    }
                }
            }
        }
        catch (ObjectDisposedException)
        {
            return Refuse(GpioErrorCodes.Unavailable, "gpio.pwm: the GPIO plugin is shut down.");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return DriverFailed(pin, "pwm", e);
        }

        GpioLog.Changed(_logger, pin.Name, stop ? "pwm stopped" : "pwm set", context.From);
        Snapshot snapshot = TakeSnapshot(pin);
        return CommandResult.Ok(w => WriteSnapshot(w, snapshot));
    }

    private bool StartWatch(PinState pin, string owner, string? to, GpioEdge edge, TimeSpan debounce, IMeshPublisher publisher)
    {
        lock (_watchGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            (int, string) key = (pin.Number, owner);
            bool replacing = _watches.TryGetValue(key, out Watch? old);
            if (!replacing && _watches.Count >= _options.MaxWatches)
            {
                return false;
            }

            var watch = new Watch(this, pin, to, edge, debounce, publisher) { Level = ReadLevel(pin) };
            if (pin.Handler is null)
            {
                PinChangeEventHandler handler = (_, args) => OnPinChanged(pin, args);
                lock (_io)
                {
                    ObjectDisposedException.ThrowIf(_disposed, this);
                    _controller!.RegisterCallbackForPinValueChangedEvent(pin.Number, PinEventTypes.Rising | PinEventTypes.Falling, handler);
                }

                pin.Handler = handler;
            }

            old?.Stop();
            _watches[key] = watch;
            pin.Watches = [.. pin.Watches.Where(w => w != old), watch];
            return true;
        }
    }

    private bool StopWatch(PinState pin, string owner)
    {
        lock (_watchGate)
        {
            if (_disposed || !_watches.Remove((pin.Number, owner), out Watch? watch))
            {
                return false;
            }

            watch.Stop();
            pin.Watches = [.. pin.Watches.Where(w => w != watch)];
            if (pin.Watches.Length == 0 && pin.Handler is { } handler)
            {
                pin.Handler = null;
                lock (_io)
                {
                    if (_controller is not null)
                    {
                        Try(pin, "unwatch", () => _controller.UnregisterCallbackForPinValueChangedEvent(pin.Number, handler));
                    }
                }
            }

            return true;
        }
    }

    /// <summary>The driver's edge callback (its own thread): each watch of the pin debounces and reports.</summary>
    private void OnPinChanged(PinState pin, PinValueChangedEventArgs args)
    {
        if (_disposed)
        {
            return;
        }

        GpioLevel level = (args.ChangeType & PinEventTypes.Rising) != 0 ? GpioLevel.High : GpioLevel.Low;
        foreach (Watch watch in Volatile.Read(ref pin.Watches))
        {
            watch.OnEdge(level);
        }
    }

    private bool TryOpen(out CommandResult? error)
    {
        error = null;
        try
        {
            EnsureOpen();
            return true;
        }
        catch (ObjectDisposedException)
        {
            error = Refuse(GpioErrorCodes.Unavailable, "The GPIO plugin is shut down.");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            GpioLog.OpenFailed(_logger, e);
            error = Refuse(GpioErrorCodes.Unavailable, $"The GPIO pins could not be opened ({e.Message}); the agent's user needs access to /dev/gpiochip* (and /sys/class/pwm for PWM pins), e.g. the gpio group.");
        }

        return false;
    }

    private GpioLevel ReadLevel(PinState pin)
    {
        lock (_io)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _controller!.Read(pin.Number) == PinValue.High ? GpioLevel.High : GpioLevel.Low;
        }
    }

    private void WriteLevel(PinState pin, GpioLevel level)
    {
        lock (_io)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _controller!.Write(pin.Number, ToPinValue(level));
        }
    }

    private Snapshot TakeSnapshot(PinState pin)
    {
        if (pin.Options.Mode == GpioPinMode.Pwm)
        {
            lock (_io)
            {
                return new Snapshot(pin, null, pin.Duty, pin.Frequency, pin.Running);
            }
        }

        return new Snapshot(pin, ReadLevel(pin), 0, 0, false);
    }

    private bool TryResolve(CommandContext context, out PinState? pin, out CommandResult? error)
    {
        pin = null;
        error = null;
        if (!context.TryGetParam("pin", out JsonElement p) || p.ValueKind is not (JsonValueKind.Number or JsonValueKind.String))
        {
            error = Refuse(GpioErrorCodes.InvalidParams, $"{context.Action} needs 'pin': a declared pin's number or name, e.g. {{\"pin\":17}} or {{\"pin\":\"relay\"}}.");
            return false;
        }

        if (p.ValueKind == JsonValueKind.Number ? p.TryGetInt32(out int number) && _byNumber.TryGetValue(number, out pin)
            : _byName.TryGetValue(p.GetString()!, out pin)
              || (int.TryParse(p.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out number) && _byNumber.TryGetValue(number, out pin)))
        {
            return true;
        }

        string declared = _pins.Length == 0 ? "none are declared" : "declared: " + string.Join(", ", _pins.Select(Describe));
        error = Refuse(GpioErrorCodes.UnknownPin, $"{context.Action}: pin {p.GetRawText()} is not declared in the GPIO plugin's options (Meowstik:Gpio:Pins), so it cannot be used; {declared}.");
        return false;
    }

    private CommandResult Refuse(string code, string message)
    {
        _instruments.Refusals.Add(1, new KeyValuePair<string, object?>("code", code));
        return CommandResult.Fail(code, message);
    }

    private CommandResult DriverFailed(PinState? pin, string action, Exception e)
    {
        if (e is ObjectDisposedException)
        {
            return Refuse(GpioErrorCodes.Unavailable, "The GPIO plugin is shut down.");
        }

        GpioLog.DriverFailed(_logger, e, pin?.Name ?? "pins", action);
        return Refuse(GpioErrorCodes.Unavailable, $"gpio.{action}: the GPIO driver failed on {(pin is null ? "the pins" : Describe(pin))}: {e.Message}");
    }

    private void Try(PinState pin, string action, Action body) => Try(pin.Name, action, body);

    private void Try(string pin, string action, Action body)
    {
        try
        {
            body();
        }
        catch (Exception e)
        {
            GpioLog.DriverFailed(_logger, e, pin, action);
        }
    }

    private static bool TryLevel(CommandContext context, string name, out GpioLevel level)
    {
        level = GpioLevel.Low;
        if (!context.TryGetParam(name, out JsonElement v))
        {
            return false;
        }

        switch (v.ValueKind)
        {
            case JsonValueKind.True:
                level = GpioLevel.High;
                return true;
            case JsonValueKind.False:
                return true;
            case JsonValueKind.Number when v.TryGetInt32(out int n) && n is 0 or 1:
                level = (GpioLevel)n;
                return true;
            case JsonValueKind.String:
                string? s = v.GetString();
                if (string.Equals(s, "high", StringComparison.OrdinalIgnoreCase) || s == "1")
                {
                    level = GpioLevel.High;
                    return true;
                }

                return string.Equals(s, "low", StringComparison.OrdinalIgnoreCase) || s == "0";
            default:
                return false;
        }
    }

    private static bool TryEdge(string? text, out GpioEdge edge)
    {
        edge = text?.ToLowerInvariant() switch
        {
            "both" => GpioEdge.Both,
            "rising" => GpioEdge.Rising,
            "falling" => GpioEdge.Falling,
            _ => (GpioEdge)(-1),
        };
        return edge >= 0;
    }

    private static string EdgeName(GpioEdge edge) => edge switch
    {
        GpioEdge.Rising => "rising",
        GpioEdge.Falling => "falling",
        _ => "both",
    };

    private static string ModeName(GpioPinMode mode) => mode switch
    {
        GpioPinMode.InputPullUp => "input_pullup",
        GpioPinMode.InputPullDown => "input_pulldown",
        GpioPinMode.Output => "output",
        GpioPinMode.Pwm => "pwm",
        _ => "input",
    };

    private static PinValue ToPinValue(GpioLevel level) => level == GpioLevel.High ? PinValue.High : PinValue.Low;

    private static string Describe(PinState pin) =>
        string.IsNullOrEmpty(pin.Options.Name) ? pin.Name : string.Create(CultureInfo.InvariantCulture, $"{pin.Number} ({pin.Options.Name})");

    private static void WriteIdentity(Utf8JsonWriter w, PinState pin)
    {
        w.WriteNumber("pin", pin.Number);
        w.WriteString("name", pin.Name);
    }

    private static void WriteLevelFields(Utf8JsonWriter w, GpioLevel level)
    {
        w.WriteNumber("value", (int)level);
        w.WriteString("level", level == GpioLevel.High ? "high" : "low");
    }

    private static void WriteSnapshot(Utf8JsonWriter w, Snapshot s)
    {
        WriteIdentity(w, s.Pin);
        w.WriteString("mode", ModeName(s.Pin.Options.Mode));
        if (s.Level is { } level)
        {
            WriteLevelFields(w, level);
        }
        else
        {
            w.WriteNumber("duty_cycle", s.Duty);
            w.WriteNumber("frequency", s.Frequency);
            w.WriteBoolean("running", s.Running);
        }
    }

    private readonly record struct Snapshot(PinState Pin, GpioLevel? Level, double Duty, int Frequency, bool Running);

    private sealed class PinState(GpioPinOptions options)
    {
        public GpioPinOptions Options { get; } = options;

        public int Number { get; } = options.Number;

        public string Name { get; } = options.DisplayName;

        public IGpioPwmChannel? Pwm { get; set; }

        public double Duty { get; set; }

        public int Frequency { get; set; }

        public bool Running { get; set; }

        public PinChangeEventHandler? Handler { get; set; }

#pragma warning disable SA1401 // Fields: Interlocked and Volatile need them.
        public int Busy;

        public Watch[] Watches = [];
#pragma warning restore SA1401
    }

    /// <summary>
    /// One watch of one pin: an edge is reported at once when the debounce interval has passed since the last reported one;
    /// edges inside the interval are absorbed, and when it ends the pin is read again so a level that changed during the
    /// bounce is still reported (the last state is never lost).
    /// </summary>
    private sealed class Watch(GpioCapability owner, PinState pin, string? to, GpioEdge edge, TimeSpan debounce, IMeshPublisher publisher)
    {
        private readonly Lock _gate = new();
        private ITimer? _settle;
        private bool _stopped;
        private bool _reported;
        private long _lastReport;
        private long _absorbed;
        private long _sequence;

        public GpioLevel Level { get; set; }

        public void OnEdge(GpioLevel level)
        {
            lock (_gate)
            {
                if (_stopped)
                {
                    return;
                }

                TimeSpan since = _reported ? owner._time.GetElapsedTime(_lastReport) : TimeSpan.MaxValue;
                if (since >= debounce)
                {
                    if (level != Level)
                    {
                        Report(level);
                    }

                    return;
                }

                _absorbed++;
                owner._instruments.Edges.Add(1, new KeyValuePair<string, object?>("result", "debounced"));
                _settle ??= owner._time.CreateTimer(static s => ((Watch)s!).Settle(), this, debounce - since, Timeout.InfiniteTimeSpan);
            }
        }

        public void Stop()
        {
            lock (_gate)
            {
                _stopped = true;
                _settle?.Dispose();
                _settle = null;
            }
        }

        private void Settle()
        {
            GpioLevel level;
            try
            {
                level = owner.ReadLevel(pin);     // outside _gate: the driver may raise callbacks while it holds its own locks
            }
            catch (Exception)
            {
                return;
            }

            lock (_gate)
            {
                _settle?.Dispose();
                _settle = null;
                if (!_stopped && level != Level)
                {
                    Report(level);        // the level changed during the bounce: report where it settled
                }
                else
                {
                    _absorbed = 0;        // the bounce ended where it started
                }
            }
        }

        private void Report(GpioLevel level)
        {
            GpioEdge happened = level == GpioLevel.High ? GpioEdge.Rising : GpioEdge.Falling;
            Level = level;
            _reported = true;
            _lastReport = owner._time.GetTimestamp();
            long bounces = _absorbed;
            _absorbed = 0;
            if (edge != GpioEdge.Both && edge != happened)
            {
                owner._instruments.Edges.Add(1, new KeyValuePair<string, object?>("result", "filtered"));
                return;
            }

            long sequence = ++_sequence;
            DateTimeOffset at = owner._time.GetUtcNow();
            owner._instruments.Edges.Add(1, new KeyValuePair<string, object?>("result", "reported"));
            publisher.PublishEvent(EdgeEvent, MeshJson.Object(w =>
            {
                WriteIdentity(w, pin);
                w.WriteString("edge", EdgeName(happened));
                WriteLevelFields(w, level);
                w.WriteNumber("seq", sequence);
                w.WriteNumber("bounces", bounces);
                w.WriteString("at", at.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            }), to);
        }
    }
}
