using System.Buffers;
using Meowstik.Protocol;

namespace Meowstik.Agent.Audio.Tests;

public sealed class OpusCodecTests
{
    private const int Skip = 2400; // 50 ms for the codec to settle

    [Fact]
    public void A_440_hz_mono_tone_survives_the_round_trip()
    {
        AudioFormat format = AudioFormat.Mono48K;
        short[] tone = Signals.Tone(format, 1, 10000, 440);
        using var encoder = new OpusStreamEncoder(format);
        using var decoder = new OpusStreamDecoder(format);
        List<byte[]> packets = Signals.Encode(encoder, tone);
        Assert.Equal(50, packets.Count);
        Assert.All(packets, p => Assert.InRange(p.Length, 2, OpusStreamEncoder.MaxPacketBytes));

        short[] decoded = Signals.Decode(decoder, packets.Select((p, i) => ((long)i, p)));
        Assert.Equal(tone.Length, decoded.Length);
        double[] x = Signals.Channel(tone, 1, 0), y = Signals.Channel(decoded, 1, 0);
        (int lag, double correlation) = Signals.Align(x, y, 2000, Skip);
        // A pure tone matches itself one period later too, so the lag is only known modulo 109 samples here (the sweep test pins it).
        Assert.True(correlation > 0.95, $"correlation {correlation:0.000} at lag {lag}");
        double snr = Signals.SnrDb(x, y, lag, Skip);
        Assert.True(snr > 10, $"SNR {snr:0.0} dB at lag {lag}");
        Assert.Equal(0, decoder.ConcealedFrames);
        Assert.Equal(50, decoder.DecodedFrames);
    }

    [Fact]
    public void The_decoded_signal_lags_by_the_encoder_lookahead()
    {
        // A sweep (200 Hz to 4 kHz) matches itself at one lag only.
        AudioFormat format = AudioFormat.Mono48K;
        short[] sweep = new short[48000];
        for (int i = 0; i < sweep.Length; i++)
        {
            double t = i / 48000.0;
            sweep[i] = (short)(9000 * Math.Sin(2 * Math.PI * ((200 * t) + (1900 * t * t))));
        }

        using var encoder = new OpusStreamEncoder(format, bitrate: 64000);
        using var decoder = new OpusStreamDecoder(format);
        short[] decoded = Signals.Decode(decoder, Signals.Encode(encoder, sweep).Select((p, i) => ((long)i, p)));
        double[] x = Signals.Channel(sweep, 1, 0), y = Signals.Channel(decoded, 1, 0);
        (int lag, double correlation) = Signals.Align(x, y, 2000, Skip);
        Assert.InRange(lag, encoder.Lookahead - 8, encoder.Lookahead + 8);
        Assert.True(correlation > 0.9, $"correlation {correlation:0.000} at lag {lag}");
    }

    [Fact]
    public void A_stereo_tone_keeps_each_channel()
    {
        var format = new AudioFormat(48000, 2);
        short[] tone = Signals.Tone(format, 1, 8000, 440, 660);
        using var encoder = new OpusStreamEncoder(format, bitrate: 64000);
        using var decoder = new OpusStreamDecoder(format);
        short[] decoded = Signals.Decode(decoder, Signals.Encode(encoder, tone).Select((p, i) => ((long)i, p)));
        Assert.Equal(tone.Length, decoded.Length);
        for (int c = 0; c < 2; c++)
        {
            double[] x = Signals.Channel(tone, 2, c), y = Signals.Channel(decoded, 2, c);
            (int lag, double correlation) = Signals.Align(x, y, 2000, Skip);
            Assert.True(correlation > 0.9, $"channel {c}: correlation {correlation:0.000} at lag {lag}");
            // Not the other channel: 440 Hz and 660 Hz do not correlate.
            double[] other = Signals.Channel(tone, 2, 1 - c);
            Assert.True(Math.Abs(Signals.Correlation(other, y, lag, Skip)) < 0.2);
        }
    }

    [Fact]
    public void A_lost_chunk_is_concealed_length_and_energy_stay()
    {
        AudioFormat format = AudioFormat.Mono48K;
        short[] tone = Signals.Tone(format, 0.4, 10000, 440); // 20 frames
        using var encoder = new OpusStreamEncoder(format);
        List<byte[]> packets = Signals.Encode(encoder, tone);
        Assert.Equal(20, packets.Count);

        using var decoder = new OpusStreamDecoder(format);
        short[] decoded = Signals.Decode(decoder, packets.Select((p, i) => ((long)i, p)).Where(p => p.Item1 != 5));
        Assert.Equal(20 * 960, decoded.Length);
        Assert.Equal(1, decoder.ConcealedFrames);
        Assert.Equal(19, decoder.DecodedFrames);

        double toneRms = Pcm.Rms(tone);
        for (int frame = 1; frame < 20; frame++)
        {
            double rms = Pcm.Rms(decoded.AsSpan(frame * 960, 960));
            // The concealed frame (5) carries the tone on rather than dropping to silence, and nothing jumps.
            Assert.True(rms > 0.3 * toneRms && rms < 1.6 * toneRms, $"frame {frame}: RMS {rms:0} against the tone's {toneRms:0}");
        }

        // Packet-loss concealment continues the tone: the concealed frame still correlates with the 440 Hz input there.
        double[] x = Signals.Channel(tone, 1, 0), y = Signals.Channel(decoded, 1, 0);
        int lag = encoder.Lookahead;
        double[] lostX = x[(5 * 960)..(6 * 960 - lag)], lostY = y[((5 * 960) + lag)..(6 * 960)];
        Assert.True(Signals.Correlation(lostX, lostY, 0, 0) > 0.5);
    }

    [Fact]
    public void Late_and_duplicate_chunks_are_dropped_and_long_gaps_bounded()
    {
        AudioFormat format = AudioFormat.Mono48K;
        using var encoder = new OpusStreamEncoder(format);
        List<byte[]> packets = Signals.Encode(encoder, Signals.Tone(format, 0.2, 8000, 440));
        using var decoder = new OpusStreamDecoder(format, maxConcealedFrames: 3);
        var output = new ArrayBufferWriter<short>();
        Assert.Equal(960, decoder.Decode(0, packets[0], output));
        Assert.Equal(960, decoder.Decode(1, packets[1], output));
        Assert.Equal(0, decoder.Decode(1, packets[1], output));  // duplicate
        Assert.Equal(0, decoder.Decode(0, packets[0], output));  // late
        Assert.Equal(2, decoder.LateChunks);
        // 100 chunks missing: 3 concealed, 97 skipped, then the packet.
        Assert.Equal(4 * 960, decoder.Decode(102, packets[2], output));
        Assert.Equal((3, 97), (decoder.ConcealedFrames, decoder.SkippedFrames));
        // A chunk without chunk_index follows on.
        Assert.Equal(960, decoder.Decode(-1, packets[3], output));
        Assert.Equal(0, decoder.LateChunks - 2);
    }

    [Fact]
    public void Chunks_carry_the_stream_fields_and_a_lease_that_returns_the_buffer_once()
    {
        var format = new AudioFormat(48000, 2);
        using var encoder = new OpusStreamEncoder(format);
        short[] frame = Signals.Tone(format, 0.02, 5000, 440, 440);
        OutgoingStreamChunk first = encoder.EncodeChunk(frame);
        OutgoingStreamChunk second = encoder.EncodeChunk(frame, to: "phone-001");
        Assert.Equal(("audio", "opus", 48000, 2, 0L), (first.StreamType, first.Codec, first.SampleRate, first.Channels, first.ChunkIndex));
        Assert.Equal((1L, "phone-001"), (second.ChunkIndex, second.To));
        Assert.InRange(first.Data.Length, 2, OpusStreamEncoder.MaxPacketBytes);
        Assert.NotNull(first.Lease);
        first.Lease!.Dispose();
        first.Lease.Dispose(); // a second release is harmless
        second.Lease!.Dispose();
        Assert.Throws<ArgumentException>(() => encoder.EncodeChunk(frame.AsSpan(1)));
    }

    [Fact]
    public void A_received_chunk_gives_its_format_and_decodes()
    {
        var format = new AudioFormat(24000, 1);
        using var encoder = new OpusStreamEncoder(format);
        short[] frame = Signals.Tone(format, 0.02, 5000, 300);
        byte[] packet = new byte[OpusStreamEncoder.MaxPacketBytes];
        int n = encoder.EncodeFrame(frame, packet);
        using var meta = System.Text.Json.JsonDocument.Parse("""{"stream_type":"audio","codec":"opus","sample_rate":24000,"channels":1,"chunk_index":7}""");
        var chunk = new MeshStreamChunk("mic-001", "audio", 7, "opus", packet[..n], meta.RootElement.Clone(), DateTimeOffset.UtcNow);
        Assert.Equal(format, OpusStreamDecoder.FormatOf(chunk));
        using var decoder = new OpusStreamDecoder(OpusStreamDecoder.FormatOf(chunk));
        var output = new ArrayBufferWriter<short>();
        Assert.Equal(480, decoder.Decode(chunk, output));
    }

    [Theory]
    [InlineData(44100, 1)]
    [InlineData(48000, 3)]
    public void Formats_opus_cannot_code_are_refused(int rate, int channels)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => new OpusStreamEncoder(new AudioFormat(rate, channels)));
        Assert.Contains(channels == 1 ? "44100 Hz" : "3 channels", e.Message);
        Assert.Throws<ArgumentException>(() => new OpusStreamEncoder(AudioFormat.Mono48K, TimeSpan.FromMilliseconds(15)));
    }
}
