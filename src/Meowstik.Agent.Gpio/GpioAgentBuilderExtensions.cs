using System.Device.Gpio;
using System.Diagnostics.Metrics;
using Meowstik.Agent;
using Meowstik.Agent.Gpio;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the GPIO plugin (<see cref="GpioCapability"/>) to an agent.</summary>
public static class GpioAgentBuilderExtensions
{
    /// <summary>
    /// Adds the <c>gpio</c> capability with options set in code, validated when the host starts. A <see cref="GpioDriver"/>
    /// registered in the container replaces the board's default driver; an <see cref="IGpioPwmChannelFactory"/> replaces
    /// <see cref="SystemPwmChannelFactory"/>.
    /// <code>
    /// builder.Services.AddMeowstikAgent(agentSection)
    ///     .AddGpio(o => o.Pins.Add(new GpioPinOptions { Number = 17, Name = "relay", Mode = GpioPinMode.Output }));
    /// </code>
    /// </summary>
    /// <param name="builder">The agent builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddGpio(this IMeshAgentBuilder builder, Action<GpioOptions> configure)
    {
        MeshPluginOptions.Add(builder, GpioOptions.SectionName, configure, static (o, path) => o.FindErrors(path));
        return AddCore(builder);
    }

    /// <summary>
    /// Adds the <c>gpio</c> capability with options bound from a configuration section (by generated code:
    /// trimming/NativeAOT-safe), usually <c>configuration.GetSection(GpioOptions.SectionName)</c> (<c>Meowstik:Gpio</c>), then
    /// <paramref name="configure"/>. A key naming no option, and any invalid setting, fail the host's start naming the key
    /// (<c>Meowstik:Gpio:Pins:0:Number is not set …</c>).
    /// </summary>
    /// <param name="builder">The agent builder.</param>
    /// <param name="section">The section holding the options.</param>
    /// <param name="configure">Optional settings applied after binding.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddGpio(this IMeshAgentBuilder builder, IConfiguration section, Action<GpioOptions>? configure = null)
    {
        MeshPluginOptions.Add(
            builder, section, GpioOptions.SectionName, static (o, s) => o.Bind(s, b => b.ErrorOnUnknownConfiguration = true), configure, static (o, path) => o.FindErrors(path));
        return AddCore(builder);
    }

    private static IMeshAgentBuilder AddCore(IMeshAgentBuilder builder)
    {
        builder.Services.TryAddSingleton(static sp =>
        {
            // Resolved before the capability, so the container disposes the capability (safe state) before the driver.
            GpioDriver? driver = sp.GetService<GpioDriver>();
            return new GpioCapability(
                sp.GetRequiredService<IOptions<GpioOptions>>().Value,
                driver is null ? null : () => new GpioController(driver),
                sp.GetService<IGpioPwmChannelFactory>(),
                sp.GetService<TimeProvider>(),
                sp.GetService<ILogger<GpioCapability>>(),
                sp.GetService<IMeterFactory>());
        });
        return builder.AddCapability(static sp => sp.GetRequiredService<GpioCapability>());
    }
}
