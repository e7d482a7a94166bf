namespace Meowstik.Agent.Audio;

/// <summary>The shape of 16-bit PCM: samples per second and interleaved channels.</summary>
/// <param name="SampleRate">Samples per second per channel (Hz).</param>
/// <param name="Channels">Interleaved channels (1 mono, 2 stereo).</param>
public readonly record struct AudioFormat(int SampleRate, int Channels)
{
    /// <summary>48 kHz mono, what the plugin streams by default.</summary>
    public static AudioFormat Mono48K { get; } = new(48000, 1);

    /// <summary>The interleaved sample count of <paramref name="duration"/> (all channels).</summary>
    /// <param name="duration">The duration.</param>
    /// <returns>The number of 16-bit values.</returns>
    public int SamplesFor(TimeSpan duration) => checked((int)(SampleRate * duration.Ticks / TimeSpan.TicksPerSecond) * Channels);

    /// <summary>The duration of <paramref name="interleavedSamples"/> values (all channels).</summary>
    /// <param name="interleavedSamples">The number of 16-bit values.</param>
    /// <returns>The duration.</returns>
    public TimeSpan DurationOf(long interleavedSamples) =>
        SampleRate <= 0 || Channels <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks(interleavedSamples / Channels * TimeSpan.TicksPerSecond / SampleRate);
}

/// <summary>A piece of 16-bit PCM in memory: its format and its interleaved samples.</summary>
public sealed class AudioClip
{
    /// <summary>Creates a clip.</summary>
    /// <param name="format">The samples' format.</param>
    /// <param name="samples">Interleaved 16-bit samples; a whole number of frames (one value per channel).</param>
    public AudioClip(AudioFormat format, ReadOnlyMemory<short> samples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(format.SampleRate, 0, nameof(format));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(format.Channels, 0, nameof(format));
        if (samples.Length % format.Channels != 0)
        {
            throw new ArgumentException($"{samples.Length} samples are not a whole number of {format.Channels}-channel frames.", nameof(samples));
        }

        Format = format;
        Samples = samples;
    }

    /// <summary>The samples' format.</summary>
    public AudioFormat Format { get; }

    /// <summary>Interleaved 16-bit samples.</summary>
    public ReadOnlyMemory<short> Samples { get; }

    /// <summary>How long the clip plays.</summary>
    public TimeSpan Duration => Format.DurationOf(Samples.Length);
}
