using Meowstik.Agent;
using Meowstik.Agent.Camera;
using Meowstik.Agent.Camera.OpenCv;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the camera plugin with the OpenCV source (<see cref="OpenCvCameraSource"/>).</summary>
public static class OpenCvCameraAgentBuilderExtensions
{
    /// <summary>Adds the <c>camera</c> capability reading <see cref="CameraOptions.Device"/> through OpenCV, options set in code.</summary>
    /// <param name="builder">The agent builder from <c>AddMeowstikAgent</c>.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddOpenCvCamera(this IMeshAgentBuilder builder, Action<CameraOptions> configure)
    {
        AddSource(builder);
        return builder.AddCamera(configure);
    }

    /// <summary>
    /// Adds the <c>camera</c> capability reading <see cref="CameraOptions.Device"/> through OpenCV, options bound from
    /// <paramref name="section"/> (usually <c>Meowstik:Camera</c>) and validated when the host starts.
    /// </summary>
    /// <param name="builder">The agent builder from <c>AddMeowstikAgent</c>.</param>
    /// <param name="section">The section holding the options.</param>
    /// <param name="configure">Optional settings applied after binding.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddOpenCvCamera(this IMeshAgentBuilder builder, IConfiguration section, Action<CameraOptions>? configure = null)
    {
        AddSource(builder);
        return builder.AddCamera(section, configure);
    }

    private static void AddSource(IMeshAgentBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<ICameraSource>(static sp =>
        {
            CameraOptions o = sp.GetRequiredService<IOptions<CameraOptions>>().Value;
            return new OpenCvCameraSource(o.Device, o.CaptureWidth, o.CaptureHeight);
        });
    }
}
