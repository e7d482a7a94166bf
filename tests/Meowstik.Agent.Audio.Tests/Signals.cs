using System.Buffers;

namespace Meowstik.Agent.Audio.Tests;

/// <summary>Test signals and the measurements the codec tests make on them.</summary>
internal static class Signals
{
    /// <summary>A sine per channel (interleaved): channel c at <paramref name="frequencies"/>[c].</summary>
    public static short[] Tone(AudioFormat format, double seconds, double amplitude, params double[] frequencies)
    {
        int frames = (int)(format.SampleRate * seconds);
        short[] samples = new short[frames * format.Channels];
        for (int i = 0; i < frames; i++)
        {
            for (int c = 0; c < format.Channels; c++)
            {
                double f = frequencies[Math.Min(c, frequencies.Length - 1)];
                samples[(i * format.Channels) + c] = (short)Math.Round(amplitude * Math.Sin(2 * Math.PI * f * i / format.SampleRate));
            }
        }

        return samples;
    }

    /// <summary>One channel of an interleaved signal.</summary>
    public static double[] Channel(ReadOnlySpan<short> interleaved, int channels, int channel)
    {
        double[] x = new double[interleaved.Length / channels];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = interleaved[(i * channels) + channel];
        }

        return x;
    }

    /// <summary>The lag (0..maxLag) at which <paramref name="output"/> best matches <paramref name="input"/>, and that normalized correlation.</summary>
    public static (int Lag, double Correlation) Align(double[] input, double[] output, int maxLag, int skip)
    {
        (int Lag, double Correlation) best = (0, double.MinValue);
        for (int lag = 0; lag <= maxLag; lag++)
        {
            double c = Correlation(input, output, lag, skip);
            if (c > best.Correlation)
            {
                best = (lag, c);
            }
        }

        return best;
    }

    /// <summary>The normalized cross-correlation of input[i] with output[i + lag], from sample <paramref name="skip"/>.</summary>
    public static double Correlation(double[] input, double[] output, int lag, int skip)
    {
        double xy = 0, xx = 0, yy = 0;
        for (int i = skip; i + lag < output.Length && i < input.Length; i++)
        {
            double x = input[i], y = output[i + lag];
            xy += x * y;
            xx += x * x;
            yy += y * y;
        }

        return xx == 0 || yy == 0 ? 0 : xy / Math.Sqrt(xx * yy);
    }

    /// <summary>The signal-to-noise ratio (dB) of output[i + lag] against input[i], from sample <paramref name="skip"/>.</summary>
    public static double SnrDb(double[] input, double[] output, int lag, int skip)
    {
        double signal = 0, noise = 0;
        for (int i = skip; i + lag < output.Length && i < input.Length; i++)
        {
            double x = input[i], e = x - output[i + lag];
            signal += x * x;
            noise += e * e;
        }

        return 10 * Math.Log10(signal / Math.Max(noise, 1e-9));
    }

    /// <summary>Encodes a signal frame by frame into packets.</summary>
    public static List<byte[]> Encode(OpusStreamEncoder encoder, short[] signal)
    {
        var packets = new List<byte[]>();
        byte[] packet = new byte[OpusStreamEncoder.MaxPacketBytes];
        for (int offset = 0; offset + encoder.FrameLength <= signal.Length; offset += encoder.FrameLength)
        {
            int n = encoder.EncodeFrame(signal.AsSpan(offset, encoder.FrameLength), packet);
            packets.Add(packet[..n]);
        }

        return packets;
    }

    public static short[] Decode(OpusStreamDecoder decoder, IEnumerable<(long Index, byte[] Packet)> packets)
    {
        var output = new ArrayBufferWriter<short>();
        foreach ((long index, byte[] packet) in packets)
        {
            decoder.Decode(index, packet, output);
        }

        return output.WrittenSpan.ToArray();
    }
}
