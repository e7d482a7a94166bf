namespace Meowstik.Agent.Gpio;

/// <summary>The <c>error</c> codes the <c>gpio.*</c> actions answer with.</summary>
public static class GpioErrorCodes
{
    /// <summary>A parameter is missing or malformed (no <c>pin</c>, a <c>value</c> that is not 0/1/true/false/high/low, …).</summary>
    public const string InvalidParams = "invalid_params";

    /// <summary>The pin is not declared in the options (<c>Meowstik:Gpio:Pins</c>): it cannot be used at all.</summary>
    public const string UnknownPin = "gpio_unknown_pin";

    /// <summary>The pin's declared mode does not allow the action (writing an input, PWM on a non-PWM pin, watching an output).</summary>
    public const string WrongMode = "gpio_wrong_mode";

    /// <summary>A value is out of its range: a duty cycle above the pin's maximum, a frequency, a pulse longer than <see cref="GpioOptions.MaxPulse"/>, a debounce.</summary>
    public const string OutOfRange = "gpio_out_of_range";

    /// <summary>The pin is running a <c>gpio.pulse</c>; it takes no other write until the pulse ends.</summary>
    public const string Busy = "gpio_busy";

    /// <summary><see cref="GpioOptions.MaxWatches"/> watches are open.</summary>
    public const string TooManyWatches = "overloaded";

    /// <summary>The GPIO or PWM driver failed (no GPIO chip, no permission, no PWM channel) or the plugin is shut down.</summary>
    public const string Unavailable = "gpio_unavailable";
}
