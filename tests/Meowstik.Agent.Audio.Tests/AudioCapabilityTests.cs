using System.Text.Json;

namespace Meowstik.Agent.Audio.Tests;

public sealed class AudioCapabilityTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"meowstik-audio-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private AudioCapability Speaker(ITextToSpeech? tts = null, IAudioSource? source = null, AudioOptions? options = null) =>
        new(options ?? new AudioOptions { Sink = AudioSinkKind.WavFolder, SinkFolder = _folder }, source, new WavFolderSink(_folder), tts ?? new EspeakTts());

    private static MeshJson Params(Action<Utf8JsonWriter> write) => MeshJson.Object(write);

    [EspeakFact]
    public async Task Speak_plays_audible_speech_for_as_long_as_it_reports()
    {
        await using var harness = new CapabilityHarness(Speaker());
        CommandResult result = await harness.CommandAsync("speak", Params(w => { w.WriteString("text", "Dinner is ready. Please come to the kitchen."); w.WriteNumber("volume", 100); }));
        Assert.True(result.IsSuccess, result.ErrorMessage);
        JsonElement r = result.Result.ToElement();
        long durationMs = r.GetProperty("duration_ms").GetInt64();
        Assert.InRange(durationMs, 1200, 8000); // eight words at 175 words per minute
        Assert.Equal(("espeak-ng", 100), (r.GetProperty("engine").GetString(), r.GetProperty("volume").GetInt32()));

        AudioClip played = WavFile.Read(r.GetProperty("file").GetString()!);
        Assert.Equal(durationMs, played.Duration.TotalMilliseconds, 1.0);
        Assert.Equal(r.GetProperty("sample_rate").GetInt32(), played.Format.SampleRate);
        Assert.True(Pcm.Rms(played.Samples.Span) > 500, $"RMS {Pcm.Rms(played.Samples.Span):0}: that is silence, not speech");
    }

    [EspeakFact]
    public async Task Volume_scales_the_speech()
    {
        await using var harness = new CapabilityHarness(Speaker());
        async Task<AudioClip> Say(int volume)
        {
            CommandResult result = await harness.CommandAsync("speak", Params(w => { w.WriteString("text", "Good morning"); w.WriteNumber("volume", volume); }));
            Assert.True(result.IsSuccess, result.ErrorMessage);
            return WavFile.Read(result.Result.ToElement().GetProperty("file").GetString()!);
        }

        double full = Pcm.Rms((await Say(100)).Samples.Span);
        double half = Pcm.Rms((await Say(50)).Samples.Span);
        Assert.Equal(0.5, half / full, 0.02);
        Assert.Equal(0, Pcm.Rms((await Say(0)).Samples.Span));
    }

    [EspeakFact]
    public async Task Text_that_looks_like_options_is_spoken_not_obeyed()
    {
        await using var harness = new CapabilityHarness(Speaker());
        string target = Path.Combine(_folder, "injected.wav");
        CommandResult result = await harness.CommandAsync("speak", Params(w => w.WriteString("text", $"-w {target} --help; echo $(id)\u0007")));
        Assert.True(result.IsSuccess, result.ErrorMessage);
        Assert.False(File.Exists(target));
        Assert.True(Pcm.Rms(WavFile.Read(result.Result.ToElement().GetProperty("file").GetString()!).Samples.Span) > 100);
    }

    [Fact]
    public async Task Speak_without_an_engine_is_a_typed_error()
    {
        await using var harness = new CapabilityHarness(Speaker(new EspeakTts("/nonexistent/espeak-ng")));
        CommandResult result = await harness.CommandAsync("speak", Params(w => w.WriteString("text", "hello")));
        Assert.Equal(AudioCapability.TtsUnavailableError, result.ErrorCode);
        Assert.Contains("'/nonexistent/espeak-ng' is not installed", result.ErrorMessage);

        await using var none = new CapabilityHarness(new AudioCapability(new AudioOptions(), null, new WavFolderSink(_folder), null));
        Assert.Equal(AudioCapability.TtsUnavailableError, (await none.CommandAsync("speak", Params(w => w.WriteString("text", "hello")))).ErrorCode);
        Assert.False(Directory.Exists(_folder)); // nothing was played
    }

    [Fact]
    public async Task Bad_speak_params_are_refused_naming_the_param()
    {
        await using var harness = new CapabilityHarness(Speaker(options: new AudioOptions { MaxTextLength = 20 }));
        async Task<CommandResult> Speak(Action<Utf8JsonWriter> write) => await harness.CommandAsync("speak", Params(write));
        CommandResult noText = await Speak(w => w.WriteNumber("volume", 10));
        Assert.Equal((AudioCapability.InvalidParamsError, true), (noText.ErrorCode, noText.ErrorMessage!.Contains("'text'", StringComparison.Ordinal)));
        CommandResult tooLong = await Speak(w => w.WriteString("text", new string('a', 21)));
        Assert.Contains("21 characters; the most is 20", tooLong.ErrorMessage);
        CommandResult loud = await Speak(w => { w.WriteString("text", "hi"); w.WriteNumber("volume", 101); });
        Assert.Contains("'volume'", loud.ErrorMessage);
        CommandResult voice = await Speak(w => { w.WriteString("text", "hi"); w.WriteString("voice", "en --stdout"); });
        Assert.Contains("'voice'", voice.ErrorMessage);
        Assert.All(new[] { tooLong, loud, voice }, r => Assert.Equal(AudioCapability.InvalidParamsError, r.ErrorCode));

        // speak changes what the room hears: a command, never a query.
        Assert.Equal(Meowstik.Protocol.MeshErrorCodes.Forbidden, (await harness.QueryAsync("speak", Params(w => w.WriteString("text", "hi")))).ErrorCode);
        Assert.Equal(["speak", "audio.play", "audio.stream_start", "audio.stream_stop"], harness.Commands);
        Assert.Equal(["audio.status"], harness.Queries);
    }

    [Fact]
    public async Task Play_writes_the_wav_at_the_volume_asked()
    {
        await using var harness = new CapabilityHarness(Speaker());
        var format = new AudioFormat(16000, 1);
        short[] tone = Signals.Tone(format, 0.5, 10000, 440);
        string wav = Convert.ToBase64String(WavFile.ToBytes(new AudioClip(format, tone)));
        CommandResult result = await harness.CommandAsync("audio.play", Params(w => { w.WriteString("wav_base64", wav); w.WriteNumber("volume", 50); }));
        Assert.True(result.IsSuccess, result.ErrorMessage);
        Assert.Equal(500, result.Result.ToElement().GetProperty("duration_ms").GetInt64());
        AudioClip played = WavFile.Read(result.Result.ToElement().GetProperty("file").GetString()!);
        Assert.Equal(format, played.Format);
        Assert.Equal(Pcm.Rms(tone) / 2, Pcm.Rms(played.Samples.Span), 1.0);

        CommandResult notWav = await harness.CommandAsync("audio.play", Params(w => w.WriteString("wav_base64", Convert.ToBase64String("hello"u8))));
        Assert.Equal(AudioCapability.InvalidParamsError, notWav.ErrorCode);
        await using var noSink = new CapabilityHarness(new AudioCapability(new AudioOptions { Sink = AudioSinkKind.None }));
        Assert.Equal(AudioCapability.NoSinkError, (await noSink.CommandAsync("audio.play", Params(w => w.WriteString("wav_base64", wav)))).ErrorCode);
    }

    [Fact]
    public async Task A_wav_source_streams_as_opus_chunks_that_decode_back_to_it()
    {
        // 0.2 s of 440 Hz at 22.05 kHz: resampled to 48 kHz, that is 10 chunks of 20 ms.
        var format = new AudioFormat(22050, 1);
        string file = Path.Combine(Path.GetTempPath(), $"meowstik-tone-{Guid.NewGuid():N}.wav");
        WavFile.Write(file, new AudioClip(format, Signals.Tone(format, 0.2, 10000, 440)));
        try
        {
            await using var harness = new CapabilityHarness(Speaker(source: new WavFileSource(file)));
            Task<RecordedEvent> ended = harness.Publisher.WaitForEventAsync(AudioCapability.StreamEndedEvent);
            CommandResult start = await harness.CommandAsync("audio.stream_start");
            Assert.True(start.IsSuccess, start.ErrorMessage);
            JsonElement s = start.Result.ToElement();
            Assert.Equal(("audio", "opus", 48000, 1, "subscribers"), (s.GetProperty("stream_type").GetString(), s.GetProperty("codec").GetString(),
                s.GetProperty("sample_rate").GetInt32(), s.GetProperty("channels").GetInt32(), s.GetProperty("to").GetString()));
            Assert.Equal("subscribe_stream", s.GetProperty("subscribe").GetProperty("action").GetString());

            RecordedEvent end = await ended.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("end_of_source", end.Data.GetProperty("reason").GetString());
            IReadOnlyList<OutgoingStreamChunk> chunks = harness.Publisher.StreamChunks;
            Assert.Equal(10, chunks.Count);
            Assert.Equal(10, end.Data.GetProperty("chunks").GetInt64());
            Assert.Equal(Enumerable.Range(0, 10).Select(i => (long?)i), chunks.Select(c => c.ChunkIndex));
            Assert.All(chunks, c => Assert.Equal(("audio", "opus", 48000, 1, (string?)null), (c.StreamType, c.Codec, c.SampleRate, c.Channels, c.To)));

            using var decoder = new OpusStreamDecoder(AudioFormat.Mono48K);
            short[] decoded = Signals.Decode(decoder, chunks.Select(c => (c.ChunkIndex!.Value, c.Data.ToArray())));
            Assert.Equal(9600, decoded.Length);
            Assert.InRange(Pcm.Rms(decoded.AsSpan(2400, 4800)), 0.7 * 10000 / Math.Sqrt(2), 1.3 * 10000 / Math.Sqrt(2));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_looping_stream_runs_once_until_stopped()
    {
        var format = AudioFormat.Mono48K;
        string file = Path.Combine(Path.GetTempPath(), $"meowstik-tone-{Guid.NewGuid():N}.wav");
        WavFile.Write(file, new AudioClip(format, Signals.Tone(format, 0.1, 8000, 440)));
        try
        {
            AudioCapability audio = Speaker(source: new WavFileSource(file, loop: true));
            await using var harness = new CapabilityHarness(audio);
            Assert.True((await harness.CommandAsync("audio.stream_start")).IsSuccess);
            CommandResult again = await harness.CommandAsync("audio.stream_start");
            Assert.True(again.Result.ToElement().GetProperty("already").GetBoolean());
            Assert.True(audio.IsStreaming);

            // A looping 0.1 s file keeps streaming past its length (paced at 20 ms a chunk).
            using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                while (harness.Publisher.StreamChunks.Count < 8)
                {
                    await Task.Delay(10, wait.Token);
                }
            }

            CommandResult stop = await harness.CommandAsync("audio.stream_stop");
            Assert.True(stop.Result.ToElement().GetProperty("stopped").GetBoolean());
            Assert.True(stop.Result.ToElement().GetProperty("chunks").GetInt64() >= 8);
            using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                while (audio.IsStreaming)
                {
                    await Task.Delay(10, wait.Token);
                }
            }

            Assert.False((await harness.CommandAsync("audio.stream_stop")).Result.ToElement().GetProperty("stopped").GetBoolean());
            Assert.Empty(harness.Publisher.Events); // stopped on request: no stream_ended event
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Streaming_without_a_source_or_with_a_broken_one_is_a_typed_error()
    {
        await using var none = new CapabilityHarness(Speaker());
        Assert.Equal(AudioCapability.NoSourceError, (await none.CommandAsync("audio.stream_start")).ErrorCode);
        await using var missing = new CapabilityHarness(Speaker(source: new WavFileSource("/nonexistent/tone.wav")));
        CommandResult r = await missing.CommandAsync("audio.stream_start");
        Assert.Equal(AudioCapability.DeviceError, r.ErrorCode);
        Assert.Contains("/nonexistent/tone.wav", r.ErrorMessage);
        await using var noArecord = new CapabilityHarness(Speaker(source: new AlsaSource("default", "/nonexistent/arecord")));
        Assert.Contains("'/nonexistent/arecord' is not installed", (await noArecord.CommandAsync("audio.stream_start")).ErrorMessage);
    }

    [Fact]
    public async Task Alsa_playback_without_aplay_is_a_device_error()
    {
        var capability = new AudioCapability(new AudioOptions(), null, new AlsaSink("default", "/nonexistent/aplay"), null);
        await using var harness = new CapabilityHarness(capability);
        string wav = Convert.ToBase64String(WavFile.ToBytes(new AudioClip(AudioFormat.Mono48K, new short[480])));
        CommandResult r = await harness.CommandAsync("audio.play", Params(w => w.WriteString("wav_base64", wav)));
        Assert.Equal(AudioCapability.DeviceError, r.ErrorCode);
        Assert.Contains("alsa-utils", r.ErrorMessage);
    }
}
