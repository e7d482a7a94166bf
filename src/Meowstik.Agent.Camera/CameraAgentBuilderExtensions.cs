using System.Diagnostics.Metrics;
using Meowstik.Agent;
using Meowstik.Agent.Camera;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the camera plugin (<see cref="CameraCapability"/>) to an agent.</summary>
public static class CameraAgentBuilderExtensions
{
    /// <summary>
    /// Adds the <c>camera</c> capability with options set in code; they are validated when the host starts. The camera is
    /// the V4L2 device <see cref="CameraOptions.Device"/>, unless an <see cref="ICameraSource"/> was registered before
    /// (the OpenCV package's <c>AddOpenCvCamera</c> does that).
    /// </summary>
    /// <param name="builder">The agent builder from <c>AddMeowstikAgent</c>.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddCamera(this IMeshAgentBuilder builder, Action<CameraOptions> configure)
    {
        MeshPluginOptions.Add(builder, CameraOptions.SectionName, configure, CameraOptionsValidator.FindErrors);
        return AddCore(builder);
    }

    /// <summary>
    /// Adds the <c>camera</c> capability with options bound from a configuration section (by generated code:
    /// trimming/NativeAOT-safe), usually <c>configuration.GetSection(CameraOptions.SectionName)</c> (<c>Meowstik:Camera</c>),
    /// then <paramref name="configure"/>. A key naming no option and any invalid setting fail the host's start, naming the key.
    /// </summary>
    /// <param name="builder">The agent builder from <c>AddMeowstikAgent</c>.</param>
    /// <param name="section">The section holding the options.</param>
    /// <param name="configure">Optional settings applied after binding.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddCamera(this IMeshAgentBuilder builder, IConfiguration section, Action<CameraOptions>? configure = null)
    {
        MeshPluginOptions.Add(
            builder, section, CameraOptions.SectionName, static (o, s) => o.Bind(s, b => b.ErrorOnUnknownConfiguration = true), configure, CameraOptionsValidator.FindErrors);
        return AddCore(builder);
    }

    private static IMeshAgentBuilder AddCore(IMeshAgentBuilder builder)
    {
        IServiceCollection services = builder.Services;
        services.TryAddSingleton<ICameraSource>(static sp =>
        {
            CameraOptions o = sp.GetRequiredService<IOptions<CameraOptions>>().Value;
            return new V4l2CameraSource(o.Device, o.CaptureWidth, o.CaptureHeight, o.FrameTimeout);
        });
        services.TryAddSingleton(static sp => new CameraCapability(
            sp.GetRequiredService<ICameraSource>(),
            sp.GetRequiredService<IOptions<CameraOptions>>().Value,
            sp.GetService<ILogger<CameraCapability>>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IMeterFactory>()));
        return builder.AddCapability(static sp => sp.GetRequiredService<CameraCapability>());
    }
}
