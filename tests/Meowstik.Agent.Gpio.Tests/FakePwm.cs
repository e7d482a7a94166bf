using System.Collections.Concurrent;

namespace Meowstik.Agent.Gpio.Tests;

/// <summary>A PWM channel in memory: the plugin's <see cref="IGpioPwmChannel"/>, recording what it was told.</summary>
internal sealed class FakePwmChannel(int chip, int channel, int frequency, double dutyCycle) : IGpioPwmChannel
{
    public int Chip { get; } = chip;

    public int Channel { get; } = channel;

    public int Frequency { get; set; } = frequency;

    public double DutyCycle { get; set; } = dutyCycle;

    public bool Running { get; private set; }

    public bool Disposed { get; private set; }

    public void Start() => Running = !Disposed ? true : throw new ObjectDisposedException(nameof(FakePwmChannel));

    public void Stop() => Running = false;

    public void Dispose() => Disposed = true;
}

internal sealed class FakePwmFactory : IGpioPwmChannelFactory
{
    public ConcurrentDictionary<(int Chip, int Channel), FakePwmChannel> Channels { get; } = new();

    public IGpioPwmChannel Create(int chip, int channel, int frequency, double dutyCycle) =>
        Channels[(chip, channel)] = new FakePwmChannel(chip, channel, frequency, dutyCycle);
}
