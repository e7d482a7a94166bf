using Concentus;

namespace Meowstik.Agent.Audio;

/// <summary>Small PCM helpers: energy, gain, resampling.</summary>
public static class Pcm
{
    /// <summary>The root mean square of the samples, 0 (silence) to 32768 (full-scale square wave).</summary>
    /// <param name="samples">16-bit samples.</param>
    /// <returns>The RMS level.</returns>
    public static double Rms(ReadOnlySpan<short> samples)
    {
        if (samples.IsEmpty)
        {
            return 0;
        }

        double sum = 0;
        foreach (short s in samples)
        {
            sum += (double)s * s;
        }

        return Math.Sqrt(sum / samples.Length);
    }

    /// <summary>Scales samples in place by <paramref name="gain"/> (1 leaves them), saturating at the 16-bit limits.</summary>
    /// <param name="samples">The samples.</param>
    /// <param name="gain">The linear gain, 0 or more.</param>
    public static void ApplyGain(Span<short> samples, double gain)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(gain);
        if (gain == 1)
        {
            return;
        }

        for (int i = 0; i < samples.Length; i++)
        {
            samples[i] = (short)Math.Clamp(Math.Round(samples[i] * gain), short.MinValue, short.MaxValue);
        }
    }

    /// <summary>Resamples a clip (Concentus' port of the Speex resampler); returns it unchanged when the rate already matches.</summary>
    /// <param name="clip">The clip.</param>
    /// <param name="sampleRate">The rate wanted.</param>
    /// <param name="quality">0 (fastest) to 10 (best); 5 by default.</param>
    /// <returns>The clip at <paramref name="sampleRate"/>.</returns>
    public static AudioClip Resample(AudioClip clip, int sampleRate, int quality = 5)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(sampleRate, 0);
        if (clip.Format.SampleRate == sampleRate || clip.Samples.IsEmpty)
        {
            return clip.Format.SampleRate == sampleRate ? clip : new AudioClip(clip.Format with { SampleRate = sampleRate }, clip.Samples);
        }

        int channels = clip.Format.Channels;
        IResampler resampler = ResamplerFactory.CreateResampler(channels, clip.Format.SampleRate, sampleRate, quality);
        int inFrames = clip.Samples.Length / channels;
        int outCapacity = (int)((long)inFrames * sampleRate / clip.Format.SampleRate) + 64;
        short[] output = new short[outCapacity * channels];
        short[] input = clip.Samples.ToArray();
        int inLength = inFrames;
        int outLength = outCapacity;
        resampler.ProcessInterleaved(input, ref inLength, output, ref outLength);
        return new AudioClip(clip.Format with { SampleRate = sampleRate }, output.AsMemory(0, outLength * channels));
    }

    /// <summary>Mixes a clip down to mono or copies mono to every channel; returns it unchanged when the count matches.</summary>
    /// <param name="clip">The clip.</param>
    /// <param name="channels">The channels wanted (1 or more).</param>
    /// <returns>The clip with <paramref name="channels"/> channels.</returns>
    public static AudioClip ConvertChannels(AudioClip clip, int channels)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        int from = clip.Format.Channels;
        if (from == channels)
        {
            return clip;
        }

        ReadOnlySpan<short> input = clip.Samples.Span;
        int frames = input.Length / from;
        short[] output = new short[frames * channels];
        for (int f = 0; f < frames; f++)
        {
            ReadOnlySpan<short> frame = input.Slice(f * from, from);
            if (channels == 1)
            {
                int sum = 0;
                foreach (short s in frame)
                {
                    sum += s;
                }

                output[f] = (short)(sum / from);
            }
            else
            {
                for (int c = 0; c < channels; c++)
                {
                    output[(f * channels) + c] = from == 1 ? frame[0] : frame[Math.Min(c, from - 1)];
                }
            }
        }

        return new AudioClip(clip.Format with { Channels = channels }, output);
    }
}
