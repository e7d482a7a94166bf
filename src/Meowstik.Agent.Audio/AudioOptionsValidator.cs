namespace Meowstik.Agent.Audio;

/// <summary>Checks <see cref="AudioOptions"/> when the host starts; every problem is reported, each naming its key.</summary>
internal static class AudioOptionsValidator
{
    public static IEnumerable<string> FindErrors(AudioOptions options, string sectionPath)
    {
        var errors = new List<string>();
        string Key(string option) => $"{sectionPath}:{option}";
        switch (options.Source)
        {
            case AudioSourceKind.None:
                break;
            case AudioSourceKind.WavFile:
                if (string.IsNullOrWhiteSpace(options.SourceFile))
                {
                    errors.Add($"{Key(nameof(AudioOptions.SourceFile))} is not set: Source is WavFile, so name the WAV file to stream.");
                }
                else if (!File.Exists(options.SourceFile))
                {
                    errors.Add($"{Key(nameof(AudioOptions.SourceFile))} '{options.SourceFile}' does not exist.");
                }

                break;
            case AudioSourceKind.Alsa:
                if (string.IsNullOrWhiteSpace(options.AlsaCaptureDevice))
                {
                    errors.Add($"{Key(nameof(AudioOptions.AlsaCaptureDevice))} is empty: name the ALSA capture device, e.g. default or plughw:1,0.");
                }

                break;
            default:
                errors.Add($"{Key(nameof(AudioOptions.Source))} is {options.Source}: use None, WavFile or Alsa.");
                break;
        }

        switch (options.Sink)
        {
            case AudioSinkKind.None:
                break;
            case AudioSinkKind.WavFolder:
                if (string.IsNullOrWhiteSpace(options.SinkFolder))
                {
                    errors.Add($"{Key(nameof(AudioOptions.SinkFolder))} is not set: Sink is WavFolder, so name the folder the WAV files go to.");
                }

                break;
            case AudioSinkKind.Alsa:
                if (string.IsNullOrWhiteSpace(options.AlsaPlaybackDevice))
                {
                    errors.Add($"{Key(nameof(AudioOptions.AlsaPlaybackDevice))} is empty: name the ALSA playback device, e.g. default or plughw:0,0.");
                }

                break;
            default:
                errors.Add($"{Key(nameof(AudioOptions.Sink))} is {options.Sink}: use None, Alsa or WavFolder.");
                break;
        }

        if (options.SampleRate is not (8000 or 12000 or 16000 or 24000 or 48000))
        {
            errors.Add($"{Key(nameof(AudioOptions.SampleRate))} is {options.SampleRate}: Opus takes 8000, 12000, 16000, 24000 or 48000.");
        }

        if (options.Channels is not (1 or 2))
        {
            errors.Add($"{Key(nameof(AudioOptions.Channels))} is {options.Channels}: use 1 (mono) or 2 (stereo).");
        }

        if (options.FrameMilliseconds is not (10 or 20 or 40 or 60))
        {
            errors.Add($"{Key(nameof(AudioOptions.FrameMilliseconds))} is {options.FrameMilliseconds}: an Opus frame is 10, 20, 40 or 60 ms.");
        }

        if (options.Bitrate is < 6000 or > 510000)
        {
            errors.Add($"{Key(nameof(AudioOptions.Bitrate))} is {options.Bitrate}: Opus takes 6000 to 510000 bits per second.");
        }

        if (options.Complexity is < 0 or > 10)
        {
            errors.Add($"{Key(nameof(AudioOptions.Complexity))} is {options.Complexity}: Opus complexity is 0 (fastest) to 10 (best).");
        }

        if (string.IsNullOrWhiteSpace(options.TtsCommand))
        {
            errors.Add($"{Key(nameof(AudioOptions.TtsCommand))} is empty: name the espeak-ng program, e.g. espeak-ng.");
        }

        if (!AudioCapability.IsValidVoice(options.TtsVoice))
        {
            errors.Add($"{Key(nameof(AudioOptions.TtsVoice))} '{options.TtsVoice}' is not a voice name: letters, digits, '-', '+' and '_', up to 40 characters, e.g. en or en-us+f3.");
        }

        if (options.TtsWordsPerMinute is < 80 or > 450)
        {
            errors.Add($"{Key(nameof(AudioOptions.TtsWordsPerMinute))} is {options.TtsWordsPerMinute}: use 80 to 450 words per minute.");
        }

        if (options.TtsTimeout <= TimeSpan.Zero || options.TtsTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"{Key(nameof(AudioOptions.TtsTimeout))} is {options.TtsTimeout}: use a positive time of at most 5 minutes.");
        }

        if (options.MaxTextLength is < 1 or > 10000)
        {
            errors.Add($"{Key(nameof(AudioOptions.MaxTextLength))} is {options.MaxTextLength}: use 1 to 10000 characters.");
        }

        if (options.DefaultVolume is < 0 or > 100)
        {
            errors.Add($"{Key(nameof(AudioOptions.DefaultVolume))} is {options.DefaultVolume}: a volume is 0 to 100.");
        }

        if (options.MaxPlayBytes < 44 || options.MaxPlayBytes > WavFile.MaxBytes)
        {
            errors.Add($"{Key(nameof(AudioOptions.MaxPlayBytes))} is {options.MaxPlayBytes}: use 44 to {WavFile.MaxBytes} bytes.");
        }

        return errors;
    }
}
