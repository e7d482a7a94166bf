using Meowstik.Agent;
using Meowstik.Agent.Audio;
using Meowstik.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Meowstik.Samples.Alexa;

/// <summary>
/// The speaker agent's composition, shared by this sample's Program and by samples/Demo: the audio plugin (capability
/// <c>audio</c>, whose <c>speak</c> is the document's command) on <c>/ws/mesh</c>.
/// </summary>
public static class AlexaAgent
{
    /// <summary>The device id when <c>Mesh:DeviceId</c> is not set.</summary>
    public const string DefaultDeviceId = "alexa-001";

    /// <summary>Registers the agent with its capabilities.</summary>
    /// <param name="builder">The host builder (its configuration is read now).</param>
    /// <returns>What is simulated, one line each, for the console.</returns>
    public static IReadOnlyList<string> Configure(IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IConfiguration config = builder.Configuration;
        SampleSettings settings = SampleHost.ReadSettings(config, DefaultDeviceId);
        var notes = new List<string>();
        string folder = config["Alexa:SpeechFolder"] is { Length: > 0 } f ? f : Path.Combine(Path.GetTempPath(), "meowstik-alexa-speech");
        if (settings.Simulation)
        {
            notes.Add($"simulation: speech is written as WAV files to {folder} (no speaker)");
            string tool = config[$"{AudioOptions.SectionName}:TtsCommand"] is { Length: > 0 } tts ? tts : "espeak-ng";
            string? espeak = SampleHost.FindTool(tool);
            if (espeak is null)
            {
                builder.Services.TryAddSingleton<ITextToSpeech>(new SimulatedSpeech());
                notes.Add($"simulation: {tool} is not installed, so speak renders a placeholder tone of the speech's length (engine 'simulated-tone')");
            }
            else
            {
                notes.Add($"text-to-speech: {espeak}");
            }
        }

        IMeshAgentBuilder agent = SampleHost.AddAgent(builder, settings, MeshPaths.Mesh, "speaker", "Kitchen Alexa (rooted)", ["audio_out"]);
        agent.AddAudio(config.GetSection(AudioOptions.SectionName), o =>
        {
            if (settings.Simulation)
            {
                o.Sink = AudioSinkKind.WavFolder;
                o.SinkFolder = folder;
            }
        });
        return notes;
    }
}
