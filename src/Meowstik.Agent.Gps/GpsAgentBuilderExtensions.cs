using System.Diagnostics.Metrics;
using Meowstik.Agent;
using Meowstik.Agent.Gps;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the GPS plugin (<see cref="GpsCapability"/>) to an agent.</summary>
public static class GpsAgentBuilderExtensions
{
    /// <summary>
    /// Adds the <c>gps</c> capability with options set in code; they are validated when the host starts.
    /// An <see cref="IGpsSource"/> registered before this call replaces the one the options describe.
    /// </summary>
    /// <param name="builder">The agent builder from <c>AddMeowstikAgent</c>.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddGps(this IMeshAgentBuilder builder, Action<GpsOptions> configure)
    {
        MeshPluginOptions.Add(builder, GpsOptions.SectionName, configure, GpsOptionsValidator.FindErrors);
        return AddCore(builder);
    }

    /// <summary>
    /// Adds the <c>gps</c> capability with options bound from a configuration section (by generated code:
    /// trimming/NativeAOT-safe), usually <c>configuration.GetSection(GpsOptions.SectionName)</c> (<c>Meowstik:Gps</c>), then
    /// <paramref name="configure"/>. A key naming no option and any invalid setting fail the host's start, naming the key.
    /// </summary>
    /// <param name="builder">The agent builder from <c>AddMeowstikAgent</c>.</param>
    /// <param name="section">The section holding the options.</param>
    /// <param name="configure">Optional settings applied after binding.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddGps(this IMeshAgentBuilder builder, IConfiguration section, Action<GpsOptions>? configure = null)
    {
        MeshPluginOptions.Add(
            builder, section, GpsOptions.SectionName, static (o, s) => o.Bind(s, b => b.ErrorOnUnknownConfiguration = true), configure, GpsOptionsValidator.FindErrors);
        return AddCore(builder);
    }

    private static IMeshAgentBuilder AddCore(IMeshAgentBuilder builder)
    {
        IServiceCollection services = builder.Services;
        services.TryAddSingleton(static sp => CreateSource(
            sp.GetRequiredService<IOptions<GpsOptions>>().Value,
            sp.GetService<ILoggerFactory>()?.CreateLogger("Meowstik.Agent.Gps"),
            sp.GetService<TimeProvider>(),
            sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(static sp => new GpsCapability(
            sp.GetRequiredService<IGpsSource>(),
            sp.GetRequiredService<IOptions<GpsOptions>>().Value,
            sp.GetService<ILogger<GpsCapability>>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IMeterFactory>()));
        return builder.AddCapability(static sp => sp.GetRequiredService<GpsCapability>());
    }

    private static IGpsSource CreateSource(GpsOptions o, ILogger? logger, TimeProvider? time, IMeterFactory? meters) => o.Source switch
    {
        GpsSourceKind.Serial => new NmeaSource($"serial {o.SerialPort}@{o.BaudRate}", NmeaSource.FromSerialPort(o.SerialPort!, o.BaudRate).OpenStream, logger, time, meters)
        {
            Loop = true,
            ReconnectOnError = true,
            ReconnectInitialDelay = o.ReconnectInitialDelay,
            ReconnectMaxDelay = o.ReconnectMaxDelay,
        },
        GpsSourceKind.File => NmeaSource.FromFile(o.NmeaFile!, o.FileFixInterval, o.FileLoop, logger, time, meters),
        _ => new GpsdSource(o.GpsdHost, o.GpsdPort, logger, time, meters)
        {
            ReconnectInitialDelay = o.ReconnectInitialDelay,
            ReconnectMaxDelay = o.ReconnectMaxDelay,
        },
    };
}
