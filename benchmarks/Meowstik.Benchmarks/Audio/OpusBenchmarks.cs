using System.Buffers;
using BenchmarkDotNet.Attributes;
using Meowstik.Agent;
using Meowstik.Agent.Audio;

namespace Meowstik.Benchmarks.Audio;

/// <summary>
/// Opus through Concentus: one op = 1 s of 48 kHz speech-like sound (a gliding voiced fundamental with harmonics,
/// syllable-rate envelope, a little noise) in 50 frames of 20 ms. <c>Encode</c> makes the stream chunks the agent sends
/// (pooled packet buffer, lease released as the agent would); <c>Decode</c> turns the packets back into PCM in a reused
/// buffer. Speed as a multiple of real time = 1 s / Mean. <c>Complexity</c> 10 is the plugin's default (Opus' best), 5 a cheaper setting.
/// Concentus' factory would use a native libopus it can load; Debian's libopus0 (libopus.so.0 only) is not found by its
/// probe, so this measures the managed codec (the setup prints which).
/// </summary>
[MemoryDiagnoser]
public class OpusBenchmarks
{
    private readonly ArrayBufferWriter<short> _pcm = new(48000 * 2);
    private short[] _signal = [];
    private byte[][] _packets = [];
    private OpusStreamEncoder _encoder = null!;
    private OpusStreamDecoder _decoder = null!;

    [Params(1, 2)]
    public int Channels { get; set; }

    [Params(5, 10)]
    public int Complexity { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var format = new AudioFormat(48000, Channels);
        _signal = SpeechLike(format);
        _encoder = new OpusStreamEncoder(format, bitrate: 32000 * Channels, complexity: Complexity);
        _decoder = new OpusStreamDecoder(format);
        Console.WriteLine($"// Opus implementation: {_encoder.Implementation}");
        byte[] packet = new byte[OpusStreamEncoder.MaxPacketBytes];
        var packets = new List<byte[]>();
        for (int offset = 0; offset < _signal.Length; offset += _encoder.FrameLength)
        {
            packets.Add(packet[.._encoder.EncodeFrame(_signal.AsSpan(offset, _encoder.FrameLength), packet)]);
        }

        _packets = [.. packets];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _encoder.Dispose();
        _decoder.Dispose();
    }

    [Benchmark(Description = "Encode 1 s (50 chunks)")]
    public long Encode()
    {
        long bytes = 0;
        for (int offset = 0; offset < _signal.Length; offset += _encoder.FrameLength)
        {
            OutgoingStreamChunk chunk = _encoder.EncodeChunk(_signal.AsSpan(offset, _encoder.FrameLength));
            bytes += chunk.Data.Length;
            chunk.Lease!.Dispose();
        }

        return bytes;
    }

    [Benchmark(Description = "Decode 1 s (50 packets)")]
    public int Decode()
    {
        _pcm.ResetWrittenCount();
        foreach (byte[] packet in _packets)
        {
            _decoder.Decode(-1, packet, _pcm);
        }

        return _pcm.WrittenCount;
    }

    private static short[] SpeechLike(AudioFormat format)
    {
        var random = new Random(42);
        int frames = format.SampleRate;
        short[] s = new short[frames * format.Channels];
        double phase = 0;
        for (int i = 0; i < frames; i++)
        {
            double t = (double)i / format.SampleRate;
            double f0 = 140 + (40 * Math.Sin(2 * Math.PI * 1.3 * t));           // a gliding pitch
            phase += 2 * Math.PI * f0 / format.SampleRate;
            double envelope = Math.Max(0, Math.Sin(2 * Math.PI * 4 * t));      // four syllables a second
            double voiced = 0;
            for (int h = 1; h <= 12; h++)
            {
                double formant = Math.Exp(-Math.Pow((h * f0) - 700, 2) / 2e5) + (0.5 * Math.Exp(-Math.Pow((h * f0) - 1200, 2) / 3e5));
                voiced += (formant + 0.05) / h * Math.Sin(h * phase);
            }

            double value = (9000 * envelope * voiced) + (300 * ((random.NextDouble() * 2) - 1));
            for (int c = 0; c < format.Channels; c++)
            {
                s[(i * format.Channels) + c] = (short)Math.Clamp(value * (c == 0 ? 1 : 0.8), short.MinValue, short.MaxValue);
            }
        }

        return s;
    }
}
