namespace Meowstik.Agent.Audio;

/// <summary>Where <c>audio.stream_start</c> takes its sound.</summary>
public enum AudioSourceKind
{
    /// <summary>No source: <c>audio.stream_start</c> answers <c>no_source</c>.</summary>
    None = 0,

    /// <summary>A WAV file (<see cref="AudioOptions.SourceFile"/>), paced in real time.</summary>
    WavFile,

    /// <summary>An ALSA capture device through <c>arecord</c> (<see cref="AudioOptions.AlsaCaptureDevice"/>).</summary>
    Alsa,
}

/// <summary>Where <c>speak</c> and <c>audio.play</c> send their sound.</summary>
public enum AudioSinkKind
{
    /// <summary>No sink: <c>speak</c> and <c>audio.play</c> answer <c>no_sink</c>.</summary>
    None = 0,

    /// <summary>An ALSA playback device through <c>aplay</c> (<see cref="AudioOptions.AlsaPlaybackDevice"/>).</summary>
    Alsa,

    /// <summary>A WAV file per clip in <see cref="AudioOptions.SinkFolder"/> (simulation, tests).</summary>
    WavFolder,
}

/// <summary>The audio plugin's options, bound from <c>Meowstik:Audio</c> (<see cref="SectionName"/>).</summary>
public sealed class AudioOptions
{
    /// <summary>The configuration section: <c>Meowstik:Audio</c>.</summary>
    public const string SectionName = "Meowstik:Audio";

    /// <summary>Where streams come from. Default <see cref="AudioSourceKind.None"/>.</summary>
    public AudioSourceKind Source { get; set; } = AudioSourceKind.None;

    /// <summary>The WAV file streamed (required for <see cref="AudioSourceKind.WavFile"/>).</summary>
    public string? SourceFile { get; set; }

    /// <summary>Play the WAV source again at its end (until <c>audio.stream_stop</c>). Default false.</summary>
    public bool SourceLoop { get; set; }

    /// <summary>Where sound is played. Default <see cref="AudioSinkKind.Alsa"/> (the device's speaker).</summary>
    public AudioSinkKind Sink { get; set; } = AudioSinkKind.Alsa;

    /// <summary>The folder of the <see cref="AudioSinkKind.WavFolder"/> sink.</summary>
    public string? SinkFolder { get; set; }

    /// <summary>The ALSA capture device (<c>arecord -D</c>). Default <c>default</c>.</summary>
    public string AlsaCaptureDevice { get; set; } = "default";

    /// <summary>The ALSA playback device (<c>aplay -D</c>). Default <c>default</c>.</summary>
    public string AlsaPlaybackDevice { get; set; } = "default";

    /// <summary>The stream's sample rate: 8000, 12000, 16000, 24000 or 48000. Default 48000.</summary>
    public int SampleRate { get; set; } = 48000;

    /// <summary>The stream's channels, 1 or 2. Default 1.</summary>
    public int Channels { get; set; } = 1;

    /// <summary>One Opus frame (one chunk): 10, 20, 40 or 60 ms. Default 20.</summary>
    public int FrameMilliseconds { get; set; } = 20;

    /// <summary>The Opus bitrate in bits per second (6000-510000). Default 32000.</summary>
    public int Bitrate { get; set; } = 32000;

    /// <summary>The Opus encoder's complexity, 0 (least work) to 10 (best quality). Default 10.</summary>
    public int Complexity { get; set; } = 10;

    /// <summary>The text-to-speech program (espeak-ng, a name on PATH or a path). Default <c>espeak-ng</c>.</summary>
    public string TtsCommand { get; set; } = "espeak-ng";

    /// <summary>The default voice (<c>espeak-ng -v</c>). Default <c>en</c>.</summary>
    public string TtsVoice { get; set; } = "en";

    /// <summary>The speaking rate in words per minute (80-450). Default 175.</summary>
    public int TtsWordsPerMinute { get; set; } = 175;

    /// <summary>The longest synthesis. Default 30 s.</summary>
    public TimeSpan TtsTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest <c>speak</c> text in characters (1-10000). Default 1000.</summary>
    public int MaxTextLength { get; set; } = 1000;

    /// <summary>The volume when <c>speak</c> or <c>audio.play</c> gives none, 0-100. Default 80.</summary>
    public int DefaultVolume { get; set; } = 80;

    /// <summary>The largest WAV <c>audio.play</c> accepts, in bytes (before base64). Default 4 MiB.</summary>
    public int MaxPlayBytes { get; set; } = 4 * 1024 * 1024;
}
