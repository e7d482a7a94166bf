namespace Meowstik.Agent.Audio;

/// <summary>
/// A WAV file (16-bit PCM) as an audio source: read whole, converted to the stream's rate and channels, and read back at
/// the caller's pace (the capability paces a file in real time); with <see cref="Loop"/> it starts again at its end.
/// </summary>
public sealed class WavFileSource : IAudioSource
{
    /// <summary>Creates the source.</summary>
    /// <param name="path">The WAV file.</param>
    /// <param name="loop">Play it again from the start at its end, until the stream stops.</param>
    public WavFileSource(string path, bool loop = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = path;
        Loop = loop;
    }

    /// <summary>The WAV file.</summary>
    public string Path { get; }

    /// <summary>Whether it loops.</summary>
    public bool Loop { get; }

    /// <inheritdoc />
    public string Description => $"wav file {Path}";

    /// <inheritdoc />
    public async ValueTask<IAudioReader> OpenAsync(AudioFormat format, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(Path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AudioDeviceException($"Cannot read the WAV source '{Path}': {e.Message}", e);
        }

        AudioClip clip;
        try
        {
            clip = WavFile.Parse(bytes);
        }
        catch (InvalidDataException e)
        {
            throw new AudioDeviceException($"The WAV source '{Path}' is unusable: {e.Message}", e);
        }

        clip = Pcm.Resample(Pcm.ConvertChannels(clip, format.Channels), format.SampleRate);
        return new Reader(clip, Loop);
    }

    private sealed class Reader(AudioClip clip, bool loop) : IAudioReader
    {
        private int _position;

        public AudioFormat Format => clip.Format;

        public bool IsRealtime => false;

        public ValueTask<int> ReadAsync(Memory<short> samples, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_position >= clip.Samples.Length && loop && !clip.Samples.IsEmpty)
            {
                _position = 0;
            }

            int n = Math.Min(samples.Length, clip.Samples.Length - _position);
            clip.Samples.Span.Slice(_position, n).CopyTo(samples.Span);
            _position += n;
            return ValueTask.FromResult(n);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
