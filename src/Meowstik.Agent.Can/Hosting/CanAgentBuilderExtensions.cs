using System.Diagnostics.Metrics;
using Meowstik.Agent;
using Meowstik.Agent.Can;
using Meowstik.Agent.Can.Dbc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the CAN bus plugin (<see cref="CanCapability"/>) to an agent.</summary>
public static class CanAgentBuilderExtensions
{
    /// <summary>
    /// Adds the <c>can</c> capability with options set in code, validated when the host starts. The frames come from an
    /// <see cref="ICanFrameSource"/> registered in the container, or else the one the options describe (SocketCAN or a replay).
    /// <code>
    /// builder.Services.AddMeowstikAgent(agentSection).AddCan(o => { o.Interface = "can0"; o.DbcFile = "vehicle.dbc"; });
    /// </code>
    /// </summary>
    /// <param name="builder">The agent builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddCan(this IMeshAgentBuilder builder, Action<CanOptions> configure)
    {
        MeshPluginOptions.Add(builder, CanOptions.SectionName, configure, static (o, path) => o.FindErrors(path));
        return AddCore(builder);
    }

    /// <summary>
    /// Adds the <c>can</c> capability with options bound from a configuration section (by generated code:
    /// trimming/NativeAOT-safe), then <paramref name="configure"/>. A key naming no option, and any invalid setting, fail the
    /// host's start naming the key.
    /// <code>
    /// builder.Services.AddMeowstikAgent(config.GetSection(MeshAgentOptions.SectionName)).AddCan(config.GetSection(CanOptions.SectionName));
    /// </code>
    /// </summary>
    /// <param name="builder">The agent builder.</param>
    /// <param name="section">The section: <c>configuration.GetSection(CanOptions.SectionName)</c> (<c>Meowstik:Can</c>).</param>
    /// <param name="configure">Optional settings applied after binding.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddCan(this IMeshAgentBuilder builder, IConfiguration section, Action<CanOptions>? configure = null)
    {
        MeshPluginOptions.Add(
            builder, section, CanOptions.SectionName, static (o, s) => o.Bind(s, b => b.ErrorOnUnknownConfiguration = true), configure, static (o, path) => o.FindErrors(path));
        return AddCore(builder);
    }

    private static IMeshAgentBuilder AddCore(IMeshAgentBuilder builder)
    {
        IServiceCollection services = builder.Services;
        services.TryAddSingleton<ICanFrameSource>(static sp => CreateSource(sp.GetRequiredService<IOptions<CanOptions>>().Value, sp.GetService<TimeProvider>()));
        services.TryAddSingleton(static sp =>
        {
            CanOptions o = sp.GetRequiredService<IOptions<CanOptions>>().Value;
            ICanFrameSource source = sp.GetRequiredService<ICanFrameSource>();
            return new CanCapability(
                source,
                o,
                o.DbcFile is null ? null : DbcFile.Load(o.DbcFile),
                sp.GetService<ICanFrameSender>() ?? source as ICanFrameSender,
                sp.GetService<TimeProvider>(),
                sp.GetService<ILogger<CanCapability>>(),
                sp.GetService<IMeterFactory>());
        });
        return builder.AddCapability(static sp => sp.GetRequiredService<CanCapability>());
    }

    private static ICanFrameSource CreateSource(CanOptions o, TimeProvider? time)
    {
        if (o.Source == CanSourceKind.Replay)
        {
            return new CandumpReplaySource(o.ReplayFile!, o.ReplayAtRecordedSpeed, o.ReplayLoop, time);
        }

        (uint, bool)? filter = o.KernelFilter is not null && CanIds.TryParse(o.KernelFilter, out uint id, out bool extended) ? (id, extended) : null;
        return new SocketCanSource(o.Interface, filter);
    }
}
