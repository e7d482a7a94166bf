using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Agent.Audio;

/// <summary>
/// The <c>audio</c> capability. Commands: <c>speak</c> (the smart-speaker command: <c>text</c>, <c>volume</c> 0-100,
/// optional <c>voice</c>; text-to-speech played on the sink), <c>audio.play</c> (a base64 WAV, <c>wav_base64</c>, played on
/// the sink), <c>audio.stream_start</c> / <c>audio.stream_stop</c> (the source streamed as Opus chunks: <c>stream_type</c>
/// <c>audio</c>, codec <c>opus</c>). Query: <c>audio.status</c>.
/// Chunks go to the hub, which forwards them to the device's <c>audio</c> stream subscribers; with <c>direct: true</c>
/// they go to the requester alone (the hub allows that only when this device's token is granted that target).
/// </summary>
public sealed class AudioCapability : MeshCapability
{
    /// <summary>Error code: a parameter is missing or out of range.</summary>
    public const string InvalidParamsError = "invalid_params";

    /// <summary>Error code: no text-to-speech engine is installed.</summary>
    public const string TtsUnavailableError = "tts_unavailable";

    /// <summary>Error code: the text-to-speech engine failed.</summary>
    public const string TtsFailedError = "tts_failed";

    /// <summary>Error code: no sink is configured.</summary>
    public const string NoSinkError = "no_sink";

    /// <summary>Error code: no source is configured.</summary>
    public const string NoSourceError = "no_source";

    /// <summary>Error code: the sink or source failed (a missing aplay/arecord, a device error, an unwritable folder).</summary>
    public const string DeviceError = "audio_device_error";

    /// <summary>The event published when a stream ends by itself (the WAV source's end, a device failure).</summary>
    public const string StreamEndedEvent = "audio.stream_ended";

    private readonly AudioOptions _options;
    private readonly IAudioSource? _source;
    private readonly IAudioSink? _sink;
    private readonly ITextToSpeech? _tts;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly AudioInstruments _instruments;
    private readonly SemaphoreSlim _speaker = new(1, 1);
    private readonly Lock _streamLock = new();
    private ActiveStream? _stream;

    /// <summary>Creates the capability.</summary>
    /// <param name="options">The options; defaults when null.</param>
    /// <param name="source">Where streams come from; null for none.</param>
    /// <param name="sink">Where sound is played; null for none.</param>
    /// <param name="textToSpeech">The <c>speak</c> engine; null for none (<c>speak</c> answers <c>tts_unavailable</c>).</param>
    /// <param name="logger">Logs streams and failures.</param>
    /// <param name="timeProvider">Paces file sources; the system clock by default.</param>
    /// <param name="meterFactory">Creates the <c>Meowstik.Agent.Audio</c> meter.</param>
    public AudioCapability(
        AudioOptions? options = null,
        IAudioSource? source = null,
        IAudioSink? sink = null,
        ITextToSpeech? textToSpeech = null,
        ILogger<AudioCapability>? logger = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null)
        : base("audio")
    {
        _options = options ?? new AudioOptions();
        _source = source;
        _sink = sink;
        _tts = textToSpeech;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _instruments = new AudioInstruments(meterFactory);
        Format = new AudioFormat(_options.SampleRate, _options.Channels);
        Handle("speak", Speak);
        Handle("audio.play", Play);
        Handle("audio.stream_start", StreamStart);
        Handle("audio.stream_stop", (_, ct) => StreamStopAsync(ct));
        HandleQuery("audio.status", Status);
    }

    /// <summary>The stream's PCM format.</summary>
    public AudioFormat Format { get; }

    /// <summary>Whether a stream runs now.</summary>
    public bool IsStreaming
    {
        get
        {
            lock (_streamLock)
            {
                return _stream is not null;
            }
        }
    }

    /// <summary>Runs until the agent stops, then stops a running stream.</summary>
    /// <param name="publisher">Unused: streams publish through the requester's context.</param>
    /// <param name="cancellationToken">Cancelled when the agent stops.</param>
    /// <returns>A task that ends when the agent stops.</returns>
    public override async Task RunAsync(IMeshPublisher publisher, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ActiveStream? stream;
            lock (_streamLock)
            {
                stream = _stream;
            }

            if (stream is not null)
            {
                await stream.StopAsync().ConfigureAwait(false);
            }
        }
    }

    internal static bool IsValidVoice(string? voice) =>
        !string.IsNullOrEmpty(voice) && voice.Length <= 40 && char.IsAsciiLetter(voice[0])
        && voice.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '+' or '_');

    private async ValueTask<CommandResult> Speak(CommandContext context, CancellationToken cancellationToken)
    {
        if (!context.TryGetParam("text", out JsonElement t) || t.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(t.GetString()))
        {
            return CommandResult.Fail(InvalidParamsError, "speak needs 'text', a non-empty string, e.g. {\"text\":\"Dinner is ready\",\"volume\":60}.");
        }

        string text = t.GetString()!;
        if (text.Length > _options.MaxTextLength)
        {
            return CommandResult.Fail(InvalidParamsError, $"speak: 'text' is {text.Length} characters; the most is {_options.MaxTextLength}.");
        }

        if (!TryVolume(context, out int volume, out CommandResult? bad))
        {
            return bad!;
        }

        string? voice = null;
        if (context.TryGetParam("voice", out JsonElement v) && v.ValueKind != JsonValueKind.Null)
        {
            voice = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            if (!IsValidVoice(voice))
            {
                return CommandResult.Fail(InvalidParamsError, "speak: 'voice' must be a voice name (letters, digits, '-', '+', '_'), e.g. en, en-us, en+f3.");
            }
        }

        if (_tts is null)
        {
            return CommandResult.Fail(TtsUnavailableError, "speak: this device has no text-to-speech engine.");
        }

        if (_sink is null)
        {
            return CommandResult.Fail(NoSinkError, "speak: this device has no audio output configured (Meowstik:Audio:Sink is None).");
        }

        // Control characters (escapes, NULs) are not speech: spaces instead.
        text = string.Create(text.Length, text, static (span, s) =>
        {
            for (int i = 0; i < s.Length; i++)
            {
                span[i] = char.IsControl(s[i]) ? ' ' : s[i];
            }
        });

        AudioClip speech;
        try
        {
            speech = await _tts.SynthesizeAsync(text, voice, cancellationToken).ConfigureAwait(false);
        }
        catch (TextToSpeechException e)
        {
            AudioLog.TtsFailed(_logger, e);
            return CommandResult.Fail(e.Unavailable ? TtsUnavailableError : TtsFailedError, "speak: " + e.Message);
        }

        return await PlayClipAsync("speak", speech, volume, cancellationToken, w =>
        {
            w.WriteString("engine", _tts.Name);
            w.WriteNumber("text_length", text.Length);
        }).ConfigureAwait(false);
    }

    private async ValueTask<CommandResult> Play(CommandContext context, CancellationToken cancellationToken)
    {
        if (!context.TryGetParam("wav_base64", out JsonElement b) || b.ValueKind != JsonValueKind.String)
        {
            return CommandResult.Fail(InvalidParamsError, "audio.play needs 'wav_base64': a 16-bit PCM WAV file, base64-encoded.");
        }

        if ((long)b.GetString()!.Length * 3 / 4 > _options.MaxPlayBytes)
        {
            return CommandResult.Fail(InvalidParamsError, $"audio.play: the WAV is larger than {_options.MaxPlayBytes} bytes.");
        }

        if (!b.TryGetBytesFromBase64(out byte[]? wav))
        {
            return CommandResult.Fail(InvalidParamsError, "audio.play: 'wav_base64' is not valid base64.");
        }

        if (!TryVolume(context, out int volume, out CommandResult? bad))
        {
            return bad!;
        }

        if (_sink is null)
        {
            return CommandResult.Fail(NoSinkError, "audio.play: this device has no audio output configured (Meowstik:Audio:Sink is None).");
        }

        AudioClip clip;
        try
        {
            clip = WavFile.Parse(wav);
        }
        catch (InvalidDataException e)
        {
            return CommandResult.Fail(InvalidParamsError, "audio.play: " + e.Message);
        }

        return await PlayClipAsync("play", clip, volume, cancellationToken, null).ConfigureAwait(false);
    }

    private async ValueTask<CommandResult> PlayClipAsync(string action, AudioClip clip, int volume, CancellationToken cancellationToken, Action<Utf8JsonWriter>? extra)
    {
        short[] samples = clip.Samples.ToArray();
        Pcm.ApplyGain(samples, volume / 100.0);
        var scaled = new AudioClip(clip.Format, samples);
        AudioPlayback played;
        await _speaker.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            played = await _sink!.PlayAsync(scaled, action, cancellationToken).ConfigureAwait(false);
        }
        catch (AudioDeviceException e)
        {
            AudioLog.PlayFailed(_logger, e, action, _sink!.Description);
            return CommandResult.Fail(DeviceError, $"{(action == "speak" ? "speak" : "audio.play")}: {e.Message}");
        }
        finally
        {
            _speaker.Release();
        }

        _instruments.ClipsPlayed.Add(1, new KeyValuePair<string, object?>("action", action));
        _instruments.PlayedSeconds.Add(played.Duration.TotalSeconds);
        long ms = (long)Math.Round(played.Duration.TotalMilliseconds);
        AudioLog.Played(_logger, action, ms, _sink.Description);
        return CommandResult.Ok(w =>
        {
            w.WriteNumber("duration_ms", ms);
            w.WriteNumber("volume", volume);
            w.WriteNumber("sample_rate", scaled.Format.SampleRate);
            w.WriteNumber("channels", scaled.Format.Channels);
            w.WriteString("sink", _sink.Description);
            if (played.File is { } file)
            {
                w.WriteString("file", file);
            }

            extra?.Invoke(w);
        });
    }

    private bool TryVolume(CommandContext context, out int volume, out CommandResult? error)
    {
        volume = _options.DefaultVolume;
        error = null;
        if (!context.TryGetParam("volume", out JsonElement v) || v.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d) || d < 0 || d > 100)
        {
            error = CommandResult.Fail(InvalidParamsError, "'volume' must be a number from 0 (silent) to 100 (full).");
            return false;
        }

        volume = (int)Math.Round(d);
        return true;
    }

    private async ValueTask<CommandResult> StreamStart(CommandContext context, CancellationToken cancellationToken)
    {
        if (_source is null)
        {
            return CommandResult.Fail(NoSourceError, "audio.stream_start: this device has no audio source configured (Meowstik:Audio:Source is None).");
        }

        bool direct = context.TryGetParam("direct", out JsonElement d) && d.ValueKind == JsonValueKind.True;
        ActiveStream? running;
        lock (_streamLock)
        {
            running = _stream;
        }

        bool already = running is not null;
        if (running is null)
        {
            IAudioReader reader;
            try
            {
                reader = await _source.OpenAsync(Format, cancellationToken).ConfigureAwait(false);
            }
            catch (AudioDeviceException e)
            {
                AudioLog.StreamFailed(_logger, e, _source.Description);
                return CommandResult.Fail(DeviceError, "audio.stream_start: " + e.Message);
            }

            var encoder = new OpusStreamEncoder(Format, TimeSpan.FromMilliseconds(_options.FrameMilliseconds), _options.Bitrate, complexity: _options.Complexity);
            var stream = new ActiveStream(this, context.Publisher, reader, encoder, direct ? context.From : null);
            lock (_streamLock)
            {
                running = _stream ??= stream;
            }

            if (running != stream)
            {
                // Another start won the race: keep that one.
                already = true;
                encoder.Dispose();
                await reader.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                AudioLog.StreamStarted(_logger, _source.Description, Format.SampleRate, Format.Channels, context.From);
                stream.Start();
            }
        }

        string? to = running.To;
        return CommandResult.Ok(w =>
        {
            w.WriteBoolean("streaming", true);
            w.WriteBoolean("already", already);
            w.WriteString("stream_type", OpusStreamEncoder.StreamType);
            w.WriteString("codec", OpusStreamEncoder.Codec);
            w.WriteNumber("sample_rate", Format.SampleRate);
            w.WriteNumber("channels", Format.Channels);
            w.WriteNumber("frame_ms", _options.FrameMilliseconds);
            w.WriteString("source", _source.Description);
            if (to is not null)
            {
                w.WriteString("to", to);
            }
            else
            {
                w.WriteString("to", "subscribers");
                w.WriteStartObject("subscribe");
                w.WriteString("action", "subscribe_stream");
                w.WriteString("device_id", context.Publisher.DeviceId);
                w.WriteString("stream_type", OpusStreamEncoder.StreamType);
                w.WriteEndObject();
            }
        });
    }

    private async ValueTask<CommandResult> StreamStopAsync(CancellationToken cancellationToken)
    {
        ActiveStream? stream;
        lock (_streamLock)
        {
            stream = _stream;
        }

        long chunks = 0;
        if (stream is not null)
        {
            // Answer once the source is released, so a status or a new start right after sees no stream.
            await stream.StopAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            chunks = stream.Chunks;
        }

        return CommandResult.Ok(w =>
        {
            w.WriteBoolean("streaming", false);
            w.WriteBoolean("stopped", stream is not null);
            w.WriteNumber("chunks", chunks);
        });
    }

    private CommandResult Status(CommandContext context)
    {
        ActiveStream? stream;
        lock (_streamLock)
        {
            stream = _stream;
        }

        return CommandResult.Ok(w =>
        {
            w.WriteBoolean("streaming", stream is not null);
            w.WriteNumber("chunks", stream?.Chunks ?? 0);
            w.WriteString("source", _source?.Description ?? "none");
            w.WriteString("sink", _sink?.Description ?? "none");
            w.WriteString("tts", _tts is null ? "none" : _tts.Name);
            w.WriteBoolean("tts_available", _tts?.IsAvailable ?? false);
            w.WriteNumber("sample_rate", Format.SampleRate);
            w.WriteNumber("channels", Format.Channels);
        });
    }

    private void Ended(ActiveStream stream)
    {
        lock (_streamLock)
        {
            if (_stream == stream)
            {
                _stream = null;
            }
        }
    }

    /// <summary>One running stream: reads the source, encodes 20 ms frames, publishes them (paced in real time for files).</summary>
    private sealed class ActiveStream(AudioCapability owner, IMeshPublisher publisher, IAudioReader reader, OpusStreamEncoder encoder, string? to)
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _chunks;

        public string? To => to;

        public long Chunks => Interlocked.Read(ref _chunks);

        public void Start() => _ = Task.Run(RunAsync);

        public void Cancel()
        {
            try
            {
                _stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already ended.
            }
        }

        public async Task StopAsync()
        {
            Cancel();
            await _ended.Task.ConfigureAwait(false);
        }

        private async Task RunAsync()
        {
            string reason = "stopped";
            short[] frame = new short[encoder.FrameLength];
            long started = owner._time.GetTimestamp();
            long frames = 0;
            CancellationToken ct = _stop.Token;
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    int filled = 0;
                    while (filled < frame.Length)
                    {
                        int n = await reader.ReadAsync(frame.AsMemory(filled), ct).ConfigureAwait(false);
                        if (n == 0)
                        {
                            break;
                        }

                        filled += n;
                    }

                    if (filled == 0)
                    {
                        reason = "end_of_source";
                        break;
                    }

                    frame.AsSpan(filled).Clear();
                    if (publisher.PublishStreamChunk(encoder.EncodeChunk(frame, to)))
                    {
                        Interlocked.Increment(ref _chunks);
                        owner._instruments.ChunksSent.Add(1);
                    }

                    frames++;
                    if (filled < frame.Length)
                    {
                        reason = "end_of_source";
                        break;
                    }

                    if (!reader.IsRealtime)
                    {
                        // A file has no clock of its own: send each frame when its time comes.
                        TimeSpan due = encoder.FrameDuration * frames - owner._time.GetElapsedTime(started);
                        if (due > TimeSpan.Zero)
                        {
                            await Task.Delay(due, owner._time, ct).ConfigureAwait(false);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                reason = "stopped";
            }
            catch (Exception e)
            {
                reason = "source_failed";
                AudioLog.StreamFailed(owner._logger, e, owner._source?.Description ?? "source");
            }
            finally
            {
                try
                {
                    encoder.Dispose();
                    await reader.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    AudioLog.StreamFailed(owner._logger, e, owner._source?.Description ?? "source");
                }
                finally
                {
                    // The source is released: a new start may open it now.
                    owner.Ended(this);
                    _stop.Dispose();
                    _ended.TrySetResult();
                }

                AudioLog.StreamEnded(owner._logger, Chunks, reason);
                if (reason != "stopped")
                {
                    publisher.PublishEvent(StreamEndedEvent, MeshJson.Object(w =>
                    {
                        w.WriteString("stream_type", OpusStreamEncoder.StreamType);
                        w.WriteNumber("chunks", Chunks);
                        w.WriteString("reason", reason);
                    }), to);
                }
            }
        }
    }
}
