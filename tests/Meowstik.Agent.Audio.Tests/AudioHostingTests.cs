using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meowstik.Agent.Audio.Tests;

/// <summary>AddAudio: options bound from Meowstik:Audio by the generated binder and validated at start, naming the key.</summary>
public sealed class AudioHostingTests
{
    private static IHost Build(Dictionary<string, string?> audio)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var settings = new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = "ws://127.0.0.1:1/ws/mesh",
            ["Meowstik:Agent:DeviceId"] = "speaker-001",
            ["Meowstik:Agent:Token"] = "mtk_test",
        };
        foreach ((string key, string? value) in audio)
        {
            settings["Meowstik:Audio:" + key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName))
            .AddAudio(builder.Configuration.GetSection(AudioOptions.SectionName));
        return builder.Build();
    }

    [Fact]
    public void Options_bind_from_the_section_and_the_capability_follows_them()
    {
        using IHost host = Build(new()
        {
            ["Sink"] = "WavFolder", ["SinkFolder"] = "/tmp/speaker", ["Channels"] = "2", ["Bitrate"] = "64000",
            ["TtsVoice"] = "en-us+f3", ["TtsTimeout"] = "00:00:05", ["DefaultVolume"] = "40",
        });
        AudioOptions o = host.Services.GetRequiredService<IOptions<AudioOptions>>().Value;
        Assert.Equal((AudioSinkKind.WavFolder, "/tmp/speaker", 2, 64000, "en-us+f3", TimeSpan.FromSeconds(5), 40),
            (o.Sink, o.SinkFolder, o.Channels, o.Bitrate, o.TtsVoice, o.TtsTimeout, o.DefaultVolume));
        AudioCapability audio = host.Services.GetRequiredService<AudioCapability>();
        Assert.Equal(new AudioFormat(48000, 2), audio.Format);
        Assert.Contains(host.Services.GetServices<IMeshCapability>(), c => c.Name == "audio");
        var tts = Assert.IsType<EspeakTts>(host.Services.GetRequiredService<ITextToSpeech>());
        Assert.Equal(("espeak-ng", "en-us+f3"), (tts.Command, tts.Voice));
    }

    [Fact]
    public async Task A_misspelt_key_fails_the_start()
    {
        using IHost host = Build(new() { ["SinkFoldr"] = "/tmp/x" });
        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("'SinkFoldr'", e.Message);
    }

    [Fact]
    public async Task Invalid_settings_fail_the_start_each_naming_its_key()
    {
        using IHost host = Build(new()
        {
            ["Source"] = "WavFile", ["Sink"] = "WavFolder", ["SampleRate"] = "44100", ["Channels"] = "3", ["FrameMilliseconds"] = "25",
            ["Bitrate"] = "1000", ["Complexity"] = "11", ["TtsVoice"] = "en; rm -rf /", ["MaxTextLength"] = "0", ["DefaultVolume"] = "101",
        });
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Meowstik:Audio:SourceFile is not set", e.Message);
        Assert.Contains("Meowstik:Audio:SinkFolder is not set", e.Message);
        Assert.Contains("Meowstik:Audio:SampleRate is 44100", e.Message);
        Assert.Contains("Meowstik:Audio:Channels is 3", e.Message);
        Assert.Contains("Meowstik:Audio:FrameMilliseconds is 25", e.Message);
        Assert.Contains("Meowstik:Audio:Bitrate is 1000", e.Message);
        Assert.Contains("Meowstik:Audio:Complexity is 11", e.Message);
        Assert.Contains("Meowstik:Audio:TtsVoice 'en; rm -rf /' is not a voice name", e.Message);
        Assert.Contains("Meowstik:Audio:MaxTextLength is 0", e.Message);
        Assert.Contains("Meowstik:Audio:DefaultVolume is 101", e.Message);

        using IHost missing = Build(new() { ["Source"] = "WavFile", ["SourceFile"] = "/nonexistent/tone.wav" });
        OptionsValidationException m = await Assert.ThrowsAsync<OptionsValidationException>(() => missing.StartAsync());
        Assert.Contains("Meowstik:Audio:SourceFile '/nonexistent/tone.wav' does not exist", m.Message);
    }

    [Fact]
    public async Task Code_configuration_and_a_custom_sink_registered_first()
    {
        var services = new ServiceCollection();
        var sink = new WavFolderSink(Path.GetTempPath());
        services.AddSingleton<IAudioSink>(sink);
        services.AddMeowstikAgent(o => { o.HubUri = new Uri("ws://127.0.0.1:1/ws/mesh"); o.DeviceId = "speaker-001"; o.Token = "t"; })
            .AddAudio(o => o.DefaultVolume = 30);
        using ServiceProvider sp = services.BuildServiceProvider();
        Assert.Equal(30, sp.GetRequiredService<IOptions<AudioOptions>>().Value.DefaultVolume);
        await using var harness = new CapabilityHarness(sp.GetRequiredService<AudioCapability>());
        CommandResult status = await harness.QueryAsync("audio.status");
        Assert.Equal(sink.Description, status.Result.ToElement().GetProperty("sink").GetString());
    }
}
