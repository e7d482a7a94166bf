using System.Device.Gpio;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Agent.Gpio.Tests;

/// <summary>The capability on a fake chip and fake PWM, behind the agent's own dispatcher, with time in the test's hands.</summary>
internal sealed class GpioRig : IAsyncDisposable
{
    public const int Button = 17;   // input, pull-up
    public const int Relay = 27;    // output
    public const int Door = 22;     // output, safe value high (an active-low lock)
    public const int Sensor = 5;    // input
    public const int Fan = 18;      // pwm, pwmchip0 channel 0, at most 0.8

    public GpioRig(Action<GpioOptions>? configure = null, Func<GpioController>? controller = null)
    {
        Options = Default();
        configure?.Invoke(Options);
        Capability = new GpioCapability(Options, controller ?? (() => new GpioController(Driver)), Pwm, Time);
        Harness = new CapabilityHarness([Capability], new CapabilityHarnessOptions { Time = Time });
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    public SimulatedGpioDriver Driver { get; } = new();

    public FakePwmFactory Pwm { get; } = new();

    public GpioOptions Options { get; }

    public GpioCapability Capability { get; }

    public CapabilityHarness Harness { get; }

    public RecordingMeshPublisher Publisher => Harness.Publisher;

    public static GpioOptions Default() => new()
    {
        Pins =
        {
            new GpioPinOptions { Number = Button, Name = "button", Mode = GpioPinMode.InputPullUp },
            new GpioPinOptions { Number = Relay, Name = "relay", Mode = GpioPinMode.Output },
            new GpioPinOptions { Number = Door, Name = "door", Mode = GpioPinMode.Output, SafeValue = GpioLevel.High },
            new GpioPinOptions { Number = Sensor, Mode = GpioPinMode.Input },
            new GpioPinOptions { Number = Fan, Name = "fan", Mode = GpioPinMode.Pwm, Frequency = 25_000, MaxDutyCycle = 0.8 },
        },
        Debounce = TimeSpan.FromMilliseconds(20),
    };

    public static MeshJson Params(string json) => MeshJson.Raw(json);

    public Task<CommandResult> Command(string action, string json) => Harness.CommandAsync(action, Params(json));

    public Task<CommandResult> Query(string action, string json) => Harness.QueryAsync(action, Params(json));

    public static JsonElement Ok(CommandResult result)
    {
        Assert.True(result.IsSuccess, $"{result.ErrorCode}: {result.ErrorMessage}");
        return result.Result.IsNone ? default : result.Result.ToElement();
    }

    public static string Refused(CommandResult result, string code)
    {
        Assert.False(result.IsSuccess, "expected a refusal with " + code);
        Assert.Equal(code, result.ErrorCode);
        return result.ErrorMessage!;
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.DisposeAsync();
        Capability.Dispose();
    }
}
