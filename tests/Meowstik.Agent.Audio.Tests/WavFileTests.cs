using System.Buffers.Binary;

namespace Meowstik.Agent.Audio.Tests;

public sealed class WavFileTests
{
    [Theory]
    [InlineData(48000, 1)]
    [InlineData(22050, 2)]
    public void Write_then_read_gives_the_same_samples(int rate, int channels)
    {
        var format = new AudioFormat(rate, channels);
        short[] samples = Signals.Tone(format, 0.1, 12000, 440, 880);
        samples[0] = short.MinValue;
        samples[1] = short.MaxValue;
        string path = Path.Combine(Path.GetTempPath(), $"meowstik-wav-{Guid.NewGuid():N}.wav");
        try
        {
            WavFile.Write(path, new AudioClip(format, samples));
            Assert.Equal(44 + (samples.Length * 2), new FileInfo(path).Length);
            AudioClip read = WavFile.Read(path);
            Assert.Equal(format, read.Format);
            Assert.Equal(samples, read.Samples.ToArray());
            Assert.Equal(TimeSpan.FromMilliseconds(100), read.Duration);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_streamed_wav_with_unknown_lengths_reads_to_its_end_and_other_chunks_are_skipped()
    {
        var format = new AudioFormat(22050, 1);
        short[] samples = Signals.Tone(format, 0.05, 5000, 300);
        byte[] wav = WavFile.ToBytes(new AudioClip(format, samples));
        // A LIST chunk (odd length, padded) before data, and the "unknown" sizes espeak-ng writes to a pipe.
        byte[] list = [.. "LIST"u8, 3, 0, 0, 0, (byte)'a', (byte)'b', (byte)'c', 0];
        byte[] streamed = [.. wav[..36], .. list, .. wav[36..]];
        BinaryPrimitives.WriteUInt32LittleEndian(streamed.AsSpan(4), 0x7FFFF000);
        BinaryPrimitives.WriteUInt32LittleEndian(streamed.AsSpan(36 + list.Length + 4), 0x7FFFF000);
        AudioClip clip = WavFile.Parse(streamed);
        Assert.Equal(format, clip.Format);
        Assert.Equal(samples, clip.Samples.ToArray());
    }

    [Fact]
    public void Anything_but_16_bit_pcm_is_refused_with_a_reason()
    {
        Assert.Contains("RIFF", Assert.Throws<InvalidDataException>(() => WavFile.Parse("not a wav file at all"u8)).Message);
        byte[] wav = WavFile.ToBytes(new AudioClip(AudioFormat.Mono48K, new short[10]));
        BinaryPrimitives.WriteUInt16LittleEndian(wav.AsSpan(34), 8); // 8-bit
        Assert.Contains("16-bit PCM", Assert.Throws<InvalidDataException>(() => WavFile.Parse(wav)).Message);
        BinaryPrimitives.WriteUInt16LittleEndian(wav.AsSpan(34), 16);
        BinaryPrimitives.WriteUInt16LittleEndian(wav.AsSpan(20), 3); // float
        Assert.Contains("format 3", Assert.Throws<InvalidDataException>(() => WavFile.Parse(wav)).Message);
        Assert.Contains("no data chunk", Assert.Throws<InvalidDataException>(() => WavFile.Parse(WavFile.ToBytes(new AudioClip(AudioFormat.Mono48K, new short[4]))[..36])).Message);
    }

    [Fact]
    public void Pcm_helpers_resample_mix_and_scale()
    {
        var format = new AudioFormat(22050, 2);
        short[] stereo = Signals.Tone(format, 1, 10000, 440, 440);
        AudioClip mono = Pcm.ConvertChannels(new AudioClip(format, stereo), 1);
        Assert.Equal(22050, mono.Samples.Length);
        AudioClip up = Pcm.Resample(mono, 48000);
        Assert.Equal(48000, up.Format.SampleRate);
        Assert.InRange(up.Samples.Length, 47800, 48064); // one second, give or take the filter's delay
        Assert.Equal(10000 / Math.Sqrt(2), Pcm.Rms(up.Samples.Span[4800..]), 10000 * 0.02);

        short[] loud = [30000, -30000, 100];
        Pcm.ApplyGain(loud, 2);
        Assert.Equal([short.MaxValue, short.MinValue, 200], loud);
        Pcm.ApplyGain(loud, 0);
        Assert.Equal(0, Pcm.Rms(loud));
    }
}
