using System.Globalization;

namespace Meowstik.Agent.Audio;

/// <summary>
/// A sink that writes each clip to a WAV file in a folder (<c>speak-20260101T120000123-1.wav</c>) and reports the file and
/// its duration: the simulated speaker of tests and demos (the Alexa sample uses it), with no sound card.
/// </summary>
public sealed class WavFolderSink : IAudioSink
{
    private long _count;

    /// <summary>Creates the sink (the folder is created when missing).</summary>
    /// <param name="folder">Where the files go.</param>
    /// <param name="timeProvider">Stamps the file names; the system clock by default.</param>
    public WavFolderSink(string folder, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Folder = folder;
        Time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The folder.</summary>
    public string Folder { get; }

    /// <inheritdoc />
    public string Description => $"wav folder {Folder}";

    private TimeProvider Time { get; }

    /// <inheritdoc />
    public async ValueTask<AudioPlayback> PlayAsync(AudioClip clip, string label, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clip);
        string safe = string.Concat((label ?? "clip").Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
        string name = string.Create(CultureInfo.InvariantCulture,
            $"{(safe.Length == 0 ? "clip" : safe)}-{Time.GetUtcNow():yyyyMMdd'T'HHmmssfff}-{Interlocked.Increment(ref _count)}.wav");
        string path = System.IO.Path.Combine(Folder, name);
        try
        {
            Directory.CreateDirectory(Folder);
            byte[] wav = WavFile.ToBytes(clip);
            await File.WriteAllBytesAsync(path, wav, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AudioDeviceException($"Cannot write to the WAV folder '{Folder}': {e.Message}", e);
        }

        return new AudioPlayback(clip.Duration, System.IO.Path.GetFullPath(path));
    }
}
