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
    /// Registers the agent (a singleton) and a hosted service running it.
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
    public static IMeshAgentBuilder AddMeowstikAgent(this IServiceCollection services, Action<Meowstik.Agent.MeshAgentOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<Meowstik.Agent.MeshAgentOptions>().Configure(configure);
        return AddCore(services);
    }

    /// <summary>Registers the agent with options bound from configuration (see <see cref="MeshAgentConfiguration"/>), then <paramref name="configure"/>.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section holding the options, e.g. <c>configuration.GetSection("MeshAgent")</c>.</param>
    /// <param name="configure">Optional extra settings applied after binding.</param>
    /// <returns>A builder to add capabilities.</returns>
    public static IMeshAgentBuilder AddMeowstikAgent(this IServiceCollection services, IConfiguration configuration, Action<Meowstik.Agent.MeshAgentOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        OptionsBuilder<Meowstik.Agent.MeshAgentOptions> options = services.AddOptions<Meowstik.Agent.MeshAgentOptions>()
            .Configure(o => MeshAgentConfiguration.Bind(configuration, o));
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return AddCore(services);
    }

    private static MeshAgentBuilder AddCore(IServiceCollection services)
    {
        services.TryAddSingleton(static sp => new Meowstik.Agent.MeshAgent(
            sp.GetRequiredService<IOptions<Meowstik.Agent.MeshAgentOptions>>().Value,
            sp.GetServices<IMeshCapability>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IMeterFactory>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MeshAgentHostedService>(
            static sp => new MeshAgentHostedService(sp.GetRequiredService<Meowstik.Agent.MeshAgent>())));
        return new MeshAgentBuilder(services);
    }
}
