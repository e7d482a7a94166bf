using System.Buffers;
using System.Text.Json;
using Meowstik.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Audio.Tests;

/// <summary>
/// A speaker agent hosted with <c>AddAudio</c> (a WAV folder as its speaker, a 1 s 440 Hz WAV as its microphone), a real
/// hub, and a controller agent over real WebSockets: <c>speak</c> answered with a duration, and an Opus stream the
/// controller subscribes to and decodes.
/// </summary>
public sealed class AudioEndToEndTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"meowstik-audio-e2e-{Guid.NewGuid():N}");
    private MeshTestHub _hub = null!;
    private IHost _speaker = null!;
    private MeshAgent _phone = null!;
    private short[] _tone = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _tone = Signals.Tone(AudioFormat.Mono48K, 1, 10000, 440);
        WavFile.Write(Path.Combine(_dir, "tone.wav"), new AudioClip(AudioFormat.Mono48K, _tone));
        _hub = await MeshTestHub.StartAsync();

        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = _hub.MeshUri.ToString(),
            ["Meowstik:Agent:DeviceId"] = "kitchen-speaker",
            ["Meowstik:Agent:DeviceType"] = "speaker",
            ["Meowstik:Agent:Token"] = await _hub.IssueDeviceTokenAsync("kitchen-speaker"),
            ["Meowstik:Audio:Sink"] = "WavFolder",
            ["Meowstik:Audio:SinkFolder"] = Path.Combine(_dir, "out"),
            ["Meowstik:Audio:Source"] = "WavFile",
            ["Meowstik:Audio:SourceFile"] = Path.Combine(_dir, "tone.wav"),
        });
        builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName))
            .AddAudio(builder.Configuration.GetSection(AudioOptions.SectionName));
        _speaker = builder.Build();
        await _speaker.StartAsync();
        await _speaker.Services.GetRequiredService<MeshAgent>().WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(15));

        _phone = await _hub.StartControllerAsync("phone-001", "Jason");
    }

    public async Task DisposeAsync()
    {
        await _speaker.StopAsync();
        _speaker.Dispose();
        await _hub.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [EspeakFact]
    public async Task A_controller_makes_the_speaker_speak_and_gets_the_duration()
    {
        MeshReply reply = await _phone.SendCommandAsync("kitchen-speaker", "speak",
            MeshJson.Object(w => { w.WriteString("text", "The laundry is done"); w.WriteNumber("volume", 60); }), TimeSpan.FromSeconds(20));
        JsonElement r = reply.Result;
        long durationMs = r.GetProperty("duration_ms").GetInt64();
        Assert.InRange(durationMs, 600, 6000);
        Assert.Equal(60, r.GetProperty("volume").GetInt32());
        AudioClip said = WavFile.Read(r.GetProperty("file").GetString()!);
        Assert.Equal(durationMs, said.Duration.TotalMilliseconds, 1.0);
        Assert.True(Pcm.Rms(said.Samples.Span) > 300);

        MeshRequestException bad = await Assert.ThrowsAsync<MeshRequestException>(() => _phone.SendCommandAsync("kitchen-speaker", "speak",
            MeshJson.Object(w => w.WriteNumber("volume", 60)), TimeSpan.FromSeconds(10)));
        Assert.Equal(AudioCapability.InvalidParamsError, bad.Code);

        MeshReply capabilities = await _phone.QueryAsync("hub", "get_capabilities", MeshJson.Object(w => w.WriteString("device_id", "kitchen-speaker")), TimeSpan.FromSeconds(10));
        string actions = capabilities.Result.GetProperty("actions").GetProperty("audio").GetRawText();
        Assert.Contains("\"speak\"", actions);
        Assert.Contains("\"audio.stream_start\"", actions);
    }

    [Fact]
    public async Task A_subscriber_receives_the_opus_stream_and_decodes_the_tone()
    {
        using MeshSubscription<MeshStreamChunk> stream = _phone.SubscribeStream("kitchen-speaker", OpusStreamEncoder.StreamType);
        await _phone.SendCommandAsync(DeviceId.Hub, "subscribe_stream",
            MeshJson.Object(w => { w.WriteString("device_id", "kitchen-speaker"); w.WriteString("stream_type", "audio"); }), TimeSpan.FromSeconds(10));
        MeshReply start = await _phone.SendCommandAsync("kitchen-speaker", "audio.stream_start", timeout: TimeSpan.FromSeconds(10));
        Assert.True(start.Result.GetProperty("streaming").GetBoolean());

        // 1 s of tone is 50 chunks of 20 ms, paced in real time.
        OpusStreamDecoder? decoder = null;
        var pcm = new ArrayBufferWriter<short>();
        int received = 0;
        long first = -1, last = -1;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            await foreach (MeshStreamChunk chunk in stream.WithCancellation(timeout.Token))
            {
                Assert.Equal(("kitchen-speaker", "audio", "opus"), (chunk.From, chunk.StreamType, chunk.Codec));
                decoder ??= new OpusStreamDecoder(OpusStreamDecoder.FormatOf(chunk));
                decoder.Decode(chunk, pcm);
                first = first < 0 ? chunk.Index : first;
                last = chunk.Index;
                received++;
                if (chunk.Index == 49)
                {
                    break;
                }
            }
        }

        using (decoder)
        {
            Assert.NotNull(decoder);
            Assert.Equal(AudioFormat.Mono48K, decoder.Format);
            Assert.Equal(0, first);
            Assert.Equal(49, last);
            Assert.Equal(50, received); // a loopback hub loses nothing
            Assert.Equal(50 * 960, pcm.WrittenCount);
            double[] x = Signals.Channel(_tone, 1, 0), y = Signals.Channel(pcm.WrittenSpan, 1, 0);
            (int lag, double correlation) = Signals.Align(x, y, 1000, 2400);
            Assert.True(correlation > 0.95, $"correlation {correlation:0.000} at lag {lag}");
        }

        // The source ended: the stream stopped by itself, and stopping again says so.
        MeshReply stop = await _phone.SendCommandAsync("kitchen-speaker", "audio.stream_stop", timeout: TimeSpan.FromSeconds(10));
        Assert.False(stop.Result.GetProperty("streaming").GetBoolean());
        MeshReply status = await _phone.QueryAsync("kitchen-speaker", "audio.status", timeout: TimeSpan.FromSeconds(10));
        Assert.False(status.Result.GetProperty("streaming").GetBoolean());
    }
}
