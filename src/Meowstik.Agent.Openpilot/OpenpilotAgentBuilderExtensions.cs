using System.Diagnostics.Metrics;
using Meowstik.Agent;
using Meowstik.Agent.Openpilot;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the openpilot plugin (<see cref="OpenpilotCapability"/>) to an agent.</summary>
public static class OpenpilotAgentBuilderExtensions
{
    /// <summary>
    /// Adds the <c>openpilot</c> capability with options set in code; they are validated when the host starts. It reads
    /// msgq on the device (<see cref="MsgqOpenpilotSource"/>) unless an <see cref="IOpenpilotSource"/> is registered (e.g.
    /// the bridge source of <c>Meowstik.Agent.Openpilot.Zmq</c>).
    /// </summary>
    /// <param name="builder">The agent builder from <c>AddMeowstikAgent</c>.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddOpenpilot(this IMeshAgentBuilder builder, Action<OpenpilotOptions> configure)
    {
        MeshPluginOptions.Add(builder, OpenpilotOptions.SectionName, configure, OpenpilotOptionsValidator.FindErrors);
        return AddCore(builder);
    }

    /// <summary>
    /// Adds the <c>openpilot</c> capability with options bound from a configuration section (by generated code:
    /// trimming/NativeAOT-safe), usually <c>configuration.GetSection(OpenpilotOptions.SectionName)</c>
    /// (<c>Meowstik:Openpilot</c>), then <paramref name="configure"/>. A key naming no option and any invalid setting fail
    /// the host's start, naming the key.
    /// </summary>
    /// <param name="builder">The agent builder from <c>AddMeowstikAgent</c>.</param>
    /// <param name="section">The section holding the options.</param>
    /// <param name="configure">Optional settings applied after binding.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddOpenpilot(this IMeshAgentBuilder builder, IConfiguration section, Action<OpenpilotOptions>? configure = null)
    {
        MeshPluginOptions.Add(
            builder, section, OpenpilotOptions.SectionName, static (o, s) => o.Bind(s, b => b.ErrorOnUnknownConfiguration = true), configure, OpenpilotOptionsValidator.FindErrors);
        return AddCore(builder);
    }

    private static IMeshAgentBuilder AddCore(IMeshAgentBuilder builder)
    {
        IServiceCollection services = builder.Services;
        services.TryAddSingleton<IOpenpilotSource>(static sp =>
        {
            OpenpilotOptions o = sp.GetRequiredService<IOptions<OpenpilotOptions>>().Value;
            return new MsgqOpenpilotSource(o.MsgqRoot, o.Prefix, o.Services, o.MsgqHeaderSize, sp.GetService<TimeProvider>(), sp.GetService<IMeterFactory>())
            {
                PollInterval = o.PollInterval,
            };
        });
        services.TryAddSingleton(static sp => new OpenpilotCapability(
            sp.GetRequiredService<IOpenpilotSource>(),
            sp.GetRequiredService<IOptions<OpenpilotOptions>>().Value,
            sp.GetService<ILogger<OpenpilotCapability>>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IMeterFactory>()));
        return builder.AddCapability(static sp => sp.GetRequiredService<OpenpilotCapability>());
    }
}
