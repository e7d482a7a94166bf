using Meowstik.Agent;
using Meowstik.Agent.Openpilot;
using Meowstik.Agent.Openpilot.Zmq;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Makes the openpilot plugin read through openpilot's <c>bridge</c> (ZMQ) instead of msgq.</summary>
public static class OpenpilotBridgeAgentBuilderExtensions
{
    /// <summary>
    /// Replaces the openpilot source with <see cref="ZmqOpenpilotSource"/>; call it with <c>AddOpenpilot</c> (either order).
    /// </summary>
    /// <param name="builder">The agent builder.</param>
    /// <param name="configure">Sets the options (at least <see cref="OpenpilotBridgeOptions.Host"/>).</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddOpenpilotBridge(this IMeshAgentBuilder builder, Action<OpenpilotBridgeOptions> configure)
    {
        MeshPluginOptions.Add(builder, OpenpilotBridgeOptions.SectionName, configure, OpenpilotBridgeOptionsValidator.FindErrors);
        return AddCore(builder);
    }

    /// <summary>Replaces the openpilot source with <see cref="ZmqOpenpilotSource"/>, configured from <c>Meowstik:OpenpilotBridge</c>.</summary>
    /// <param name="builder">The agent builder.</param>
    /// <param name="section">The section holding the options.</param>
    /// <param name="configure">Optional settings applied after binding.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddOpenpilotBridge(this IMeshAgentBuilder builder, IConfiguration section, Action<OpenpilotBridgeOptions>? configure = null)
    {
        MeshPluginOptions.Add(
            builder, section, OpenpilotBridgeOptions.SectionName, static (o, s) => o.Bind(s, b => b.ErrorOnUnknownConfiguration = true), configure, OpenpilotBridgeOptionsValidator.FindErrors);
        return AddCore(builder);
    }

    private static IMeshAgentBuilder AddCore(IMeshAgentBuilder builder)
    {
        builder.Services.Replace(ServiceDescriptor.Singleton<IOpenpilotSource>(static sp =>
        {
            OpenpilotBridgeOptions o = sp.GetRequiredService<IOptions<OpenpilotBridgeOptions>>().Value;
            return new ZmqOpenpilotSource(o.Host!, o.Services, o.Ports);
        }));
        return builder;
    }
}
