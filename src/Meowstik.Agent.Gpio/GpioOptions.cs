using System.Globalization;

namespace Meowstik.Agent.Gpio;

/// <summary>What a declared pin is for; the only uses the <c>gpio.*</c> actions allow on it.</summary>
public enum GpioPinMode
{
    /// <summary>A floating input: <c>gpio.read</c> and <c>gpio.watch</c>.</summary>
    Input = 0,

    /// <summary>An input with the internal pull-up resistor (a button to ground): <c>gpio.read</c> and <c>gpio.watch</c>.</summary>
    InputPullUp,

    /// <summary>An input with the internal pull-down resistor: <c>gpio.read</c> and <c>gpio.watch</c>.</summary>
    InputPullDown,

    /// <summary>An output: <c>gpio.read</c> (the level driven), <c>gpio.write</c> and <c>gpio.pulse</c>.</summary>
    Output,

    /// <summary>A hardware PWM channel (<see cref="GpioPinOptions.PwmChip"/>/<see cref="GpioPinOptions.PwmChannel"/>): <c>gpio.read</c> and <c>gpio.pwm</c>.</summary>
    Pwm,
}

/// <summary>A logic level.</summary>
public enum GpioLevel
{
    /// <summary>Low (0).</summary>
    Low = 0,

    /// <summary>High (1).</summary>
    High = 1,
}

/// <summary>The edges a watch reports.</summary>
public enum GpioEdge
{
    /// <summary>Low to high and high to low.</summary>
    Both = 0,

    /// <summary>Low to high only.</summary>
    Rising,

    /// <summary>High to low only.</summary>
    Falling,
}

/// <summary>One declared pin (<c>Meowstik:Gpio:Pins:&lt;index&gt;</c>). Pins not declared cannot be used at all.</summary>
public sealed class GpioPinOptions
{
    /// <summary>The GPIO line number (BCM numbering on a Raspberry Pi: GPIO17 is 17). Required.</summary>
    public int Number { get; set; } = -1;

    /// <summary>An optional alias the actions accept instead of the number, e.g. <c>relay</c> (letters, digits, <c>_</c>, <c>-</c>).</summary>
    public string? Name { get; set; }

    /// <summary>What the pin is for. Default <see cref="GpioPinMode.Input"/>.</summary>
    public GpioPinMode Mode { get; set; } = GpioPinMode.Input;

    /// <summary>An output's level when the plugin opens it; <see cref="SafeValue"/> when not set.</summary>
    public GpioLevel? InitialValue { get; set; }

    /// <summary>The level an output is put to when the plugin shuts down (and opens, unless <see cref="InitialValue"/> says otherwise). Default <see cref="GpioLevel.Low"/>.</summary>
    public GpioLevel SafeValue { get; set; } = GpioLevel.Low;

    /// <summary>An input: report its edges from the start, as <c>gpio.edge</c> events to <see cref="GpioOptions.EventTarget"/>. Default false.</summary>
    public bool Watch { get; set; }

    /// <summary>The edges a <see cref="Watch"/> from the options reports. Default <see cref="GpioEdge.Both"/>.</summary>
    public GpioEdge WatchEdge { get; set; } = GpioEdge.Both;

    /// <summary>This input's debounce interval; <see cref="GpioOptions.Debounce"/> when not set.</summary>
    public TimeSpan? Debounce { get; set; }

    /// <summary>A PWM pin's <c>/sys/class/pwm/pwmchip&lt;N&gt;</c>. Default 0.</summary>
    public int PwmChip { get; set; }

    /// <summary>A PWM pin's channel on <see cref="PwmChip"/> (GPIO18 is pwmchip0 channel 0 on a Raspberry Pi with the <c>pwm</c> overlay). Default 0.</summary>
    public int PwmChannel { get; set; }

    /// <summary>A PWM pin's frequency in Hz until <c>gpio.pwm</c> sets another. Default 1000.</summary>
    public int Frequency { get; set; } = 1000;

    /// <summary>A PWM pin's duty cycle (0-1) when the plugin opens it; above 0 it starts running. Default 0 (stopped).</summary>
    public double InitialDutyCycle { get; set; }

    /// <summary>The highest duty cycle <c>gpio.pwm</c> accepts on this pin (0-1), e.g. 0.8 for a motor. Default 1.</summary>
    public double MaxDutyCycle { get; set; } = 1;

    /// <summary>The name the actions and events show: the alias, or <c>GPIO&lt;number&gt;</c>.</summary>
    internal string DisplayName => string.IsNullOrEmpty(Name) ? "GPIO" + Number.ToString(CultureInfo.InvariantCulture) : Name;

    internal bool IsInput => Mode is GpioPinMode.Input or GpioPinMode.InputPullUp or GpioPinMode.InputPullDown;
}

/// <summary>
/// The GPIO plugin's options, bound from the <c>Meowstik:Gpio</c> section (<see cref="SectionName"/>) beside the agent's
/// <c>Meowstik:Agent</c>. Only the pins listed in <see cref="Pins"/> can be used, each only as its mode allows.
/// </summary>
public sealed class GpioOptions
{
    /// <summary>The configuration section: <c>Meowstik:Gpio</c>.</summary>
    public const string SectionName = "Meowstik:Gpio";

    /// <summary>The longest <c>gpio.pulse</c> the options may allow: one minute.</summary>
    public static readonly TimeSpan MaxPulseLimit = TimeSpan.FromMinutes(1);

    /// <summary>The longest debounce interval the options may set: ten seconds.</summary>
    public static readonly TimeSpan MaxDebounceLimit = TimeSpan.FromSeconds(10);

    /// <summary>The declared pins (<c>Meowstik:Gpio:Pins:0:Number</c>, …). Empty by default: nothing can be used.</summary>
    public IList<GpioPinOptions> Pins { get; } = [];

    /// <summary>The default debounce interval of a watch: edges closer together than this after a reported edge are absorbed. Default 20 ms.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>The longest <c>gpio.pulse</c>; keep it below the agent's <c>CommandTimeout</c> (30 s). Default 5 s, at most 1 minute.</summary>
    public TimeSpan MaxPulse { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Where <c>gpio.edge</c> events of watches go unless a <c>gpio.watch</c> asks for <c>direct</c>: <c>broadcast</c> (every device
    /// allowed to observe this one; the default), <c>hub</c> (kept as the device's last event, for <c>get_state</c>) or a device id.
    /// </summary>
    public string EventTarget { get; set; } = "broadcast";

    /// <summary>Watches open at once, all requesters together. Default 32.</summary>
    public int MaxWatches { get; set; } = 32;

    /// <summary>Every invalid setting; each message starts with its key.</summary>
    /// <param name="sectionPath">The section the options came from.</param>
    /// <returns>The messages.</returns>
    internal IEnumerable<string> FindErrors(string sectionPath)
    {
        string Key(string name) => sectionPath.Length == 0 ? name : sectionPath + ":" + name;
        var numbers = new Dictionary<int, int>();
        var names = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var channels = new Dictionary<(int, int), int>();
        for (int i = 0; i < Pins.Count; i++)
        {
            GpioPinOptions pin = Pins[i];
            string PinKey(string name) => Key(string.Create(CultureInfo.InvariantCulture, $"{nameof(Pins)}:{i}:{name}"));
            if (pin is null)
            {
                yield return $"{Key(nameof(Pins))}:{i} is empty: declare the pin's Number and Mode.";
                continue;
            }

            if (pin.Number < 0)
            {
                yield return pin.Number == -1
                    ? $"{PinKey(nameof(GpioPinOptions.Number))} is not set: give the GPIO line number (BCM numbering on a Raspberry Pi, e.g. 17)."
                    : string.Create(CultureInfo.InvariantCulture, $"{PinKey(nameof(GpioPinOptions.Number))} is {pin.Number}: a GPIO line number is 0 or more.");
            }
            else if (numbers.TryGetValue(pin.Number, out int first))
            {
                yield return string.Create(CultureInfo.InvariantCulture, $"{PinKey(nameof(GpioPinOptions.Number))} {pin.Number} is declared twice (also {Key(nameof(Pins))}:{first}).");
            }
            else
            {
                numbers[pin.Number] = i;
            }

            if (pin.Name is not null)
            {
                if (!IsValidName(pin.Name))
                {
                    yield return $"{PinKey(nameof(GpioPinOptions.Name))} '{pin.Name}' is not a valid alias: use 1-32 letters, digits, '_' or '-', not only digits.";
                }
                else if (names.TryGetValue(pin.Name, out int other))
                {
                    yield return string.Create(CultureInfo.InvariantCulture, $"{PinKey(nameof(GpioPinOptions.Name))} '{pin.Name}' is used twice (also {Key(nameof(Pins))}:{other}).");
                }
                else
                {
                    names[pin.Name] = i;
                }
            }

            if (!Enum.IsDefined(pin.Mode))
            {
                yield return $"{PinKey(nameof(GpioPinOptions.Mode))} is {pin.Mode}: use Input, InputPullUp, InputPullDown, Output or Pwm.";
                continue;
            }

            if (pin.InitialValue is not null && pin.Mode != GpioPinMode.Output)
            {
                yield return $"{PinKey(nameof(GpioPinOptions.InitialValue))} is set but the pin's Mode is {pin.Mode}: only an Output has an initial value.";
            }

            if (pin.Watch && !pin.IsInput)
            {
                yield return $"{PinKey(nameof(GpioPinOptions.Watch))} is true but the pin's Mode is {pin.Mode}: only inputs (Input, InputPullUp, InputPullDown) can be watched.";
            }

            if (pin.Debounce is { } debounce && (debounce < TimeSpan.Zero || debounce > MaxDebounceLimit))
            {
                yield return $"{PinKey(nameof(GpioPinOptions.Debounce))} is {debounce}: use 00:00:00 to {MaxDebounceLimit}.";
            }

            if (pin.Mode == GpioPinMode.Pwm)
            {
                if (pin.PwmChip < 0 || pin.PwmChannel < 0)
                {
                    yield return string.Create(CultureInfo.InvariantCulture, $"{PinKey(nameof(GpioPinOptions.PwmChip))} ({pin.PwmChip}) and {PinKey(nameof(GpioPinOptions.PwmChannel))} ({pin.PwmChannel}) must be 0 or more.");
                }
                else if (channels.TryGetValue((pin.PwmChip, pin.PwmChannel), out int other))
                {
                    yield return string.Create(CultureInfo.InvariantCulture, $"{PinKey(nameof(GpioPinOptions.PwmChannel))}: pwmchip{pin.PwmChip} channel {pin.PwmChannel} is declared twice (also {Key(nameof(Pins))}:{other}).");
                }
                else
                {
                    channels[(pin.PwmChip, pin.PwmChannel)] = i;
                }

                if (pin.Frequency is < GpioCapability.MinPwmFrequency or > GpioCapability.MaxPwmFrequency)
                {
                    yield return string.Create(CultureInfo.InvariantCulture, $"{PinKey(nameof(GpioPinOptions.Frequency))} is {pin.Frequency}: use {GpioCapability.MinPwmFrequency}-{GpioCapability.MaxPwmFrequency} Hz.");
                }

                if (!(pin.MaxDutyCycle is > 0 and <= 1))
                {
                    yield return string.Create(CultureInfo.InvariantCulture, $"{PinKey(nameof(GpioPinOptions.MaxDutyCycle))} is {pin.MaxDutyCycle}: use a fraction above 0 and at most 1.");
                }

                if (!(pin.InitialDutyCycle >= 0 && pin.InitialDutyCycle <= Math.Min(1, pin.MaxDutyCycle)))
                {
                    yield return string.Create(CultureInfo.InvariantCulture, $"{PinKey(nameof(GpioPinOptions.InitialDutyCycle))} is {pin.InitialDutyCycle}: use 0 to the pin's MaxDutyCycle ({pin.MaxDutyCycle}).");
                }
            }
        }

        if (Debounce < TimeSpan.Zero || Debounce > MaxDebounceLimit)
        {
            yield return $"{Key(nameof(Debounce))} is {Debounce}: use 00:00:00 to {MaxDebounceLimit}.";
        }

        if (MaxPulse <= TimeSpan.Zero || MaxPulse > MaxPulseLimit)
        {
            yield return $"{Key(nameof(MaxPulse))} is {MaxPulse}: use more than 0 and at most {MaxPulseLimit} (and keep it below the agent's CommandTimeout).";
        }

        if (string.IsNullOrWhiteSpace(EventTarget))
        {
            yield return $"{Key(nameof(EventTarget))} is empty: use broadcast, hub or a device id.";
        }

        if (MaxWatches is < 1 or > 1024)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{Key(nameof(MaxWatches))} is {MaxWatches}: use 1-1024.");
        }
        else if (Pins.Count(p => p is { Watch: true }) is var watched && watched > MaxWatches)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{Key(nameof(MaxWatches))} is {MaxWatches} but {watched} pins set Watch: raise it to at least {watched}.");
        }
    }

    internal static bool IsValidName(string name)
    {
        if (name.Length is 0 or > 32)
        {
            return false;
        }

        bool letter = false;
        foreach (char c in name)
        {
            if (char.IsAsciiLetter(c) || c is '_' or '-')
            {
                letter = true;
            }
            else if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return letter;
    }
}
