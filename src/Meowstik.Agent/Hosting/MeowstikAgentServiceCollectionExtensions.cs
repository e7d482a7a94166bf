using System.Diagnostics.Metrics;
using Meowstik.Agent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="Meowstik.Agent.MeshAgent"/> that runs as a hosted service.</summary>
public static class MeowstikAgentServiceCollectionExtensions
{
    /// <summary>
    /// Registers the agent (a singleton) and a hosted service running it, with options set in code. The options are
    /// validated when the host starts (every invalid setting reported).
    /// <code>
    /// builder.Services.AddMeowstikAgent(o =>
    /// {
    ///     o.HubUri = new Uri("wss://hub.example/ws/mesh");
    ///     o.DeviceId = "homeserver-001";
    ///     o.Token = builder.Configuration["MeshToken"];
    /// }).AddCapability&lt;ThermostatCapability&gt;();
    /// </code>
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder to add capabilities.</returns>
    public static IMeshAgentBuilder AddMeowstikAgent(this IServiceCollection services, Action<MeshAgentOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<MeshAgentOptions>().Configure(configure);
        return AddCore(services, MeshAgentOptions.SectionName);
    }

    /// <summary>
    /// Registers the agent (a singleton) and a hosted service running it, with options bound from a configuration section
    /// (by generated code: trimming/NativeAOT-safe), then <paramref name="configure"/>. A key in the section that names no
    /// setting (a misspelt <c>HubUrl</c>) and any invalid setting fail the host's start, naming the key.
    /// <code>
    /// builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName))
    ///     .AddCapability&lt;ThermostatCapability&gt;();
    /// </code>
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="section">The section holding the options: <c>configuration.GetSection(MeshAgentOptions.SectionName)</c> (<c>Meowstik:Agent</c>).</param>
    /// <param name="configure">Optional settings applied after binding (for the code-only ones, such as <see cref="MeshAgentOptions.TokenProvider"/>).</param>
    /// <returns>A builder to add capabilities.</returns>
    public static IMeshAgentBuilder AddMeowstikAgent(this IServiceCollection services, IConfiguration section, Action<MeshAgentOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        OptionsBuilder<MeshAgentOptions> options = services.AddOptions<MeshAgentOptions>()
            .Configure(_ => CodeOnlySettings.Reject(section))
            .Bind(section, binder => binder.ErrorOnUnknownConfiguration = true);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return AddCore(services, section is IConfigurationSection { Path: { Length: > 0 } path } ? path : MeshAgentOptions.SectionName);
    }

    private static MeshAgentBuilder AddCore(IServiceCollection services, string sectionPath)
    {
        services.AddOptions<MeshAgentOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MeshAgentOptions>, MeshAgentOptionsValidator>(
            _ => new MeshAgentOptionsValidator(sectionPath)));
        services.TryAddSingleton(static sp => new MeshAgent(
            sp.GetRequiredService<IOptions<MeshAgentOptions>>().Value,
            sp.GetServices<IMeshCapability>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IMeterFactory>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MeshAgentHostedService>(
            static sp => new MeshAgentHostedService(sp.GetRequiredService<MeshAgent>())));
        return new MeshAgentBuilder(services);
    }
}
