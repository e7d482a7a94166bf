namespace Meowstik.Agent.Audio;

/// <summary>Where <c>audio.stream_start</c> takes its sound: a WAV file, an ALSA capture device, or your own.</summary>
public interface IAudioSource
{
    /// <summary>What the source is, for logs and <c>audio.status</c> (e.g. <c>alsa default</c>).</summary>
    string Description { get; }

    /// <summary>Opens the source for one stream.</summary>
    /// <param name="format">The format the stream needs (the reader delivers exactly this).</param>
    /// <param name="cancellationToken">Cancels the opening.</param>
    /// <returns>The reader; dispose it to release the device.</returns>
    /// <exception cref="AudioDeviceException">The source cannot be opened (no file, no <c>arecord</c>, a busy device).</exception>
    ValueTask<IAudioReader> OpenAsync(AudioFormat format, CancellationToken cancellationToken);
}

/// <summary>One open source.</summary>
public interface IAudioReader : IAsyncDisposable
{
    /// <summary>The format read.</summary>
    AudioFormat Format { get; }

    /// <summary>True when reads arrive at the sound's own pace (a capture device); false when the caller must pace them (a file).</summary>
    bool IsRealtime { get; }

    /// <summary>Reads interleaved samples.</summary>
    /// <param name="samples">Where to put them.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Samples read; 0 at the end of the source.</returns>
    ValueTask<int> ReadAsync(Memory<short> samples, CancellationToken cancellationToken);
}

/// <summary>Where <c>speak</c> and <c>audio.play</c> send their sound: ALSA playback, a folder of WAV files, or your own.</summary>
public interface IAudioSink
{
    /// <summary>What the sink is, for logs and results (e.g. <c>wav folder /var/lib/speaker</c>).</summary>
    string Description { get; }

    /// <summary>Plays one clip, returning when it has been played (or written).</summary>
    /// <param name="clip">The sound.</param>
    /// <param name="label">A short name of what it is (<c>speak</c>, <c>play</c>), used in file names.</param>
    /// <param name="cancellationToken">Stops the playback.</param>
    /// <returns>What was played.</returns>
    /// <exception cref="AudioDeviceException">The sink cannot play (no <c>aplay</c>, a busy device, an unwritable folder).</exception>
    ValueTask<AudioPlayback> PlayAsync(AudioClip clip, string label, CancellationToken cancellationToken);
}

/// <summary>What a sink played.</summary>
/// <param name="Duration">How long the sound lasts.</param>
/// <param name="File">The file written, for a sink that writes files; otherwise null.</param>
public sealed record AudioPlayback(TimeSpan Duration, string? File = null);

/// <summary>An audio source or sink failed (a missing tool, a device error, an unreadable file).</summary>
public sealed class AudioDeviceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AudioDeviceException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, safe to show to a requester.</param>
    public AudioDeviceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, safe to show to a requester.</param>
    /// <param name="innerException">The cause.</param>
    public AudioDeviceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
