using System.Device.Pwm;

namespace Meowstik.Agent.Gpio;

/// <summary>One PWM output, as the plugin drives it (the default wraps <see cref="PwmChannel"/>; tests use a fake).</summary>
public interface IGpioPwmChannel : IDisposable
{
    /// <summary>The frequency in Hz.</summary>
    int Frequency { get; set; }

    /// <summary>The duty cycle, 0 to 1.</summary>
    double DutyCycle { get; set; }

    /// <summary>Starts the output.</summary>
    void Start();

    /// <summary>Stops the output.</summary>
    void Stop();
}

/// <summary>Opens PWM channels for the pins declared <see cref="GpioPinMode.Pwm"/>.</summary>
public interface IGpioPwmChannelFactory
{
    /// <summary>Opens a channel, stopped.</summary>
    /// <param name="chip">The PWM chip (<c>/sys/class/pwm/pwmchip&lt;N&gt;</c> on Linux).</param>
    /// <param name="channel">The channel on the chip.</param>
    /// <param name="frequency">The frequency in Hz.</param>
    /// <param name="dutyCycle">The duty cycle, 0 to 1.</param>
    /// <returns>The channel.</returns>
    IGpioPwmChannel Create(int chip, int channel, int frequency, double dutyCycle);
}

/// <summary>The default <see cref="IGpioPwmChannelFactory"/>: <see cref="PwmChannel.Create"/> (Linux: the kernel's sysfs PWM interface).</summary>
public sealed class SystemPwmChannelFactory : IGpioPwmChannelFactory
{
    /// <summary>The shared instance.</summary>
    public static SystemPwmChannelFactory Instance { get; } = new();

    /// <inheritdoc />
    public IGpioPwmChannel Create(int chip, int channel, int frequency, double dutyCycle) =>
        new SystemPwmChannel(PwmChannel.Create(chip, channel, frequency, dutyCycle));

    private sealed class SystemPwmChannel(PwmChannel inner) : IGpioPwmChannel
    {
        public int Frequency
        {
            get => inner.Frequency;
            set => inner.Frequency = value;
        }

        public double DutyCycle
        {
            get => inner.DutyCycle;
            set => inner.DutyCycle = value;
        }

        public void Start() => inner.Start();

        public void Stop() => inner.Stop();

        public void Dispose() => inner.Dispose();
    }
}
