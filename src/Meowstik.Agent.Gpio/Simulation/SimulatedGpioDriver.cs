using System.Collections.Concurrent;
using System.Device.Gpio;

namespace Meowstik.Agent.Gpio;

/// <summary>
/// A GPIO chip in memory, behind the real <see cref="GpioController"/> (the plugin talks to the controller exactly as on a
/// board): pins keep their mode and level, writes are recorded, and <see cref="SetInput"/> changes an input's level the way
/// a wire would, raising the edge callbacks the controller registered. For running a GPIO agent on a laptop (simulation)
/// and for tests: register <c>new GpioController(new SimulatedGpioDriver())</c> in the container before <c>AddGpio</c>.
/// </summary>
public sealed class SimulatedGpioDriver : GpioDriver
{
    private readonly ConcurrentDictionary<int, FakePin> _pins = new();
    private readonly Lock _gate = new();

    /// <summary>Every level written to an output, in order.</summary>
    public ConcurrentQueue<(int Pin, PinValue Value)> Writes { get; } = new();

    /// <summary>Whether the controller disposed the driver.</summary>
    public bool Disposed { get; private set; }

    /// <summary>How many edge callbacks are registered, over all pins.</summary>
    public int CallbackCount
    {
        get
        {
            lock (_gate)
            {
                return _pins.Values.Sum(p => p.Callbacks.Count);
            }
        }
    }

    /// <inheritdoc />
    protected override int PinCount => 64;

    /// <summary>Whether <paramref name="pin"/> is open.</summary>
    /// <param name="pin">The pin number.</param>
    /// <returns>True while the controller has it open.</returns>
    public bool IsOpen(int pin) => _pins.TryGetValue(pin, out FakePin? p) && p.Open;

    /// <summary>The mode <paramref name="pin"/> was set to.</summary>
    /// <param name="pin">The pin number.</param>
    /// <returns>Its mode.</returns>
    public PinMode ModeOf(int pin) => _pins[pin].Mode;

    /// <summary>The level of <paramref name="pin"/>: the last write to an output, or an input's simulated level.</summary>
    /// <param name="pin">The pin number.</param>
    /// <returns>Its level.</returns>
    public PinValue LevelOf(int pin) => _pins[pin].Value;

    /// <summary>Sets an input's level (a button pressed, a wire pulled); a change raises the registered edge callbacks here, synchronously.</summary>
    /// <param name="pin">The pin number.</param>
    /// <param name="value">The new level.</param>
    public void SetInput(int pin, PinValue value)
    {
        FakePin p = _pins.GetOrAdd(pin, _ => new FakePin());
        List<(PinEventTypes Types, PinChangeEventHandler Callback)> callbacks;
        PinEventTypes change;
        lock (_gate)
        {
            if (p.Value == value)
            {
                return;
            }

            p.Value = value;
            change = value == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
            callbacks = [.. p.Callbacks];
        }

        foreach ((PinEventTypes types, PinChangeEventHandler callback) in callbacks)
        {
            if ((types & change) != 0)
            {
                callback(this, new PinValueChangedEventArgs(change, pin));
            }
        }
    }

    /// <inheritdoc />
    protected override void OpenPin(int pinNumber)
    {
        FakePin p = _pins.GetOrAdd(pinNumber, _ => new FakePin());
        p.Open = true;
    }

    /// <inheritdoc />
    protected override void ClosePin(int pinNumber)
    {
        if (_pins.TryGetValue(pinNumber, out FakePin? p))
        {
            p.Open = false;
        }
    }

    /// <inheritdoc />
    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        FakePin p = _pins[pinNumber];
        p.Mode = mode;
        if (mode == PinMode.InputPullUp)
        {
            p.Value = PinValue.High;
        }
    }

    /// <inheritdoc />
    protected override void SetPinMode(int pinNumber, PinMode mode, PinValue initialValue)
    {
        SetPinMode(pinNumber, mode);
        Write(pinNumber, initialValue);
    }

    /// <inheritdoc />
    protected override PinMode GetPinMode(int pinNumber) => _pins[pinNumber].Mode;

    /// <inheritdoc />
    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

    /// <inheritdoc />
    protected override PinValue Read(int pinNumber) => _pins[pinNumber].Value;

    /// <inheritdoc />
    protected override void Write(int pinNumber, PinValue value)
    {
        FakePin p = _pins[pinNumber];
        if (!p.Open || p.Mode != PinMode.Output)
        {
            throw new InvalidOperationException($"Pin {pinNumber} is not an open output.");
        }

        p.Value = value;
        Writes.Enqueue((pinNumber, value));
    }

    /// <inheritdoc />
    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The plugin uses callbacks.");

    /// <inheritdoc />
    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        lock (_gate)
        {
            _pins[pinNumber].Callbacks.Add((eventTypes, callback));
        }
    }

    /// <inheritdoc />
    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_gate)
        {
            _pins[pinNumber].Callbacks.RemoveAll(c => c.Callback == callback);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }

    private sealed class FakePin
    {
        public bool Open { get; set; }

        public PinMode Mode { get; set; } = PinMode.Input;

        public PinValue Value { get; set; } = PinValue.Low;

        public List<(PinEventTypes Types, PinChangeEventHandler Callback)> Callbacks { get; } = [];
    }
}

