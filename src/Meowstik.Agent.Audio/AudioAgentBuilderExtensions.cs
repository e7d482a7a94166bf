using System.Diagnostics.Metrics;
using Meowstik.Agent;
using Meowstik.Agent.Audio;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the audio plugin (<see cref="AudioCapability"/>) to an agent.</summary>
public static class AudioAgentBuilderExtensions
{
    /// <summary>
    /// Adds the <c>audio</c> capability with options set in code; they are validated when the host starts.
    /// An <see cref="IAudioSource"/>, <see cref="IAudioSink"/> or <see cref="ITextToSpeech"/> registered before this call
    /// replaces the one the options describe.
    /// </summary>
    /// <param name="builder">The agent builder from <c>AddMeowstikAgent</c>.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddAudio(this IMeshAgentBuilder builder, Action<AudioOptions> configure)
    {
        MeshPluginOptions.Add(builder, AudioOptions.SectionName, configure, AudioOptionsValidator.FindErrors);
        return AddCore(builder);
    }

    /// <summary>
    /// Adds the <c>audio</c> capability with options bound from a configuration section (by generated code:
    /// trimming/NativeAOT-safe), usually <c>configuration.GetSection(AudioOptions.SectionName)</c> (<c>Meowstik:Audio</c>),
    /// then <paramref name="configure"/>. A key naming no option and any invalid setting fail the host's start, naming the key.
    /// </summary>
    /// <param name="builder">The agent builder from <c>AddMeowstikAgent</c>.</param>
    /// <param name="section">The section holding the options.</param>
    /// <param name="configure">Optional settings applied after binding.</param>
    /// <returns>The builder.</returns>
    public static IMeshAgentBuilder AddAudio(this IMeshAgentBuilder builder, IConfiguration section, Action<AudioOptions>? configure = null)
    {
        MeshPluginOptions.Add(
            builder, section, AudioOptions.SectionName, static (o, s) => o.Bind(s, b => b.ErrorOnUnknownConfiguration = true), configure, AudioOptionsValidator.FindErrors);
        return AddCore(builder);
    }

    private static IMeshAgentBuilder AddCore(IMeshAgentBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;
        services.TryAddSingleton<ITextToSpeech>(static sp =>
        {
            AudioOptions o = sp.GetRequiredService<IOptions<AudioOptions>>().Value;
            return new EspeakTts(o.TtsCommand, o.TtsVoice, o.TtsWordsPerMinute, o.TtsTimeout);
        });
        services.TryAddSingleton(static sp => new AudioCapability(
            sp.GetRequiredService<IOptions<AudioOptions>>().Value,
            sp.GetService<IAudioSource>() ?? CreateSource(sp.GetRequiredService<IOptions<AudioOptions>>().Value),
            sp.GetService<IAudioSink>() ?? CreateSink(sp.GetRequiredService<IOptions<AudioOptions>>().Value, sp.GetService<TimeProvider>()),
            sp.GetRequiredService<ITextToSpeech>(),
            sp.GetService<ILogger<AudioCapability>>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IMeterFactory>()));
        return builder.AddCapability(static sp => sp.GetRequiredService<AudioCapability>());
    }

    private static IAudioSource? CreateSource(AudioOptions o) => o.Source switch
    {
        AudioSourceKind.WavFile => new WavFileSource(o.SourceFile!, o.SourceLoop),
        AudioSourceKind.Alsa => new AlsaSource(o.AlsaCaptureDevice),
        _ => null,
    };

    private static IAudioSink? CreateSink(AudioOptions o, TimeProvider? time) => o.Sink switch
    {
        AudioSinkKind.WavFolder => new WavFolderSink(o.SinkFolder!, time),
        AudioSinkKind.Alsa => new AlsaSink(o.AlsaPlaybackDevice),
        _ => null,
    };
}
