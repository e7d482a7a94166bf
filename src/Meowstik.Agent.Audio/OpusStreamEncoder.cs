using System.Buffers;
using Concentus;
using Concentus.Enums;

namespace Meowstik.Agent.Audio;

/// <summary>
/// Encodes 16-bit PCM frames into Opus packets (Concentus: <see cref="OpusCodecFactory.CreateEncoder"/>) and wraps each in an
/// <see cref="OutgoingStreamChunk"/> (<c>stream_type</c> <c>audio</c>, codec <c>opus</c>, <c>sample_rate</c>, <c>channels</c>,
/// consecutive <c>chunk_index</c>) whose bytes live in a pooled buffer returned when the agent releases the chunk's lease.
/// Not thread-safe: one encoder per stream.
/// </summary>
public sealed class OpusStreamEncoder : IDisposable
{
    /// <summary>The largest Opus packet (RFC 6716: 1275 bytes per frame).</summary>
    public const int MaxPacketBytes = 1275;

    /// <summary>The stream type of audio chunks.</summary>
    public const string StreamType = "audio";

    /// <summary>The codec name in chunks.</summary>
    public const string Codec = "opus";

    private readonly IOpusEncoder _encoder;

    /// <summary>Creates an encoder.</summary>
    /// <param name="format">8, 12, 16, 24 or 48 kHz; 1 or 2 channels.</param>
    /// <param name="frameDuration">2.5, 5, 10, 20, 40 or 60 ms; 20 ms by default.</param>
    /// <param name="bitrate">Bits per second (6000-510000); 32000 by default (speech, mono).</param>
    /// <param name="application">The encoder's tuning; <see cref="OpusApplication.OPUS_APPLICATION_AUDIO"/> by default.</param>
    /// <param name="complexity">0 (least work) to 10 (best quality, Opus' default); 10 by default.</param>
    public OpusStreamEncoder(AudioFormat format, TimeSpan? frameDuration = null, int bitrate = 32000, OpusApplication application = OpusApplication.OPUS_APPLICATION_AUDIO, int complexity = 10)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(complexity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(complexity, 10);
        Validate(format);
        ArgumentOutOfRangeException.ThrowIfLessThan(bitrate, 6000);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bitrate, 510000);
        TimeSpan frame = frameDuration ?? TimeSpan.FromMilliseconds(20);
        FrameSamples = FrameSamplesFor(format.SampleRate, frame);
        Format = format;
        FrameDuration = frame;
        _encoder = OpusCodecFactory.CreateEncoder(format.SampleRate, format.Channels, application);
        _encoder.Bitrate = bitrate;
        _encoder.Complexity = complexity;
    }

    /// <summary>The PCM format encoded.</summary>
    public AudioFormat Format { get; }

    /// <summary>The duration of one frame (one chunk).</summary>
    public TimeSpan FrameDuration { get; }

    /// <summary>Samples per channel in one frame (960 for 20 ms at 48 kHz).</summary>
    public int FrameSamples { get; }

    /// <summary>Interleaved samples in one frame (<see cref="FrameSamples"/> × channels).</summary>
    public int FrameLength => FrameSamples * Format.Channels;

    /// <summary>The <c>chunk_index</c> the next chunk gets.</summary>
    public long NextChunkIndex { get; set; }

    /// <summary>The encoder's lookahead in samples per channel: the decoded signal lags the input by about this much.</summary>
    public int Lookahead => _encoder.Lookahead;

    /// <summary>Which implementation Concentus chose (its managed codec, or a native libopus it found).</summary>
    public string Implementation => _encoder.GetVersionString();

    /// <summary>Encodes one frame into <paramref name="packet"/>.</summary>
    /// <param name="frame">Exactly <see cref="FrameLength"/> interleaved samples.</param>
    /// <param name="packet">At least <see cref="MaxPacketBytes"/> bytes.</param>
    /// <returns>The packet's length.</returns>
    public int EncodeFrame(ReadOnlySpan<short> frame, Span<byte> packet)
    {
        if (frame.Length != FrameLength)
        {
            throw new ArgumentException($"A frame is {FrameLength} samples ({FrameSamples} per channel), not {frame.Length}.", nameof(frame));
        }

        return _encoder.Encode(frame, FrameSamples, packet, Math.Min(packet.Length, MaxPacketBytes));
    }

    /// <summary>Encodes one frame into a stream chunk with the next <c>chunk_index</c>; its bytes are pooled until the lease is released.</summary>
    /// <param name="frame">Exactly <see cref="FrameLength"/> interleaved samples.</param>
    /// <param name="to">The chunk's target: null for the hub (its subscribers), or a device id.</param>
    /// <returns>The chunk; hand it to <see cref="IMeshPublisher.PublishStreamChunk"/> (which releases it) or dispose its lease.</returns>
    public OutgoingStreamChunk EncodeChunk(ReadOnlySpan<short> frame, string? to = null)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxPacketBytes);
        int length;
        try
        {
            length = EncodeFrame(frame, buffer);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        return new OutgoingStreamChunk
        {
            StreamType = StreamType,
            Codec = Codec,
            SampleRate = Format.SampleRate,
            Channels = Format.Channels,
            ChunkIndex = NextChunkIndex++,
            Data = buffer.AsMemory(0, length),
            Lease = new PooledBytes(buffer),
            To = to,
        };
    }

    /// <inheritdoc />
    public void Dispose() => (_encoder as IDisposable)?.Dispose();

    internal static void Validate(AudioFormat format)
    {
        if (format.SampleRate is not (8000 or 12000 or 16000 or 24000 or 48000))
        {
            throw new ArgumentException($"Opus codes 8, 12, 16, 24 or 48 kHz, not {format.SampleRate} Hz.", nameof(format));
        }

        if (format.Channels is not (1 or 2))
        {
            throw new ArgumentException($"The Opus stream is mono or stereo, not {format.Channels} channels.", nameof(format));
        }
    }

    internal static int FrameSamplesFor(int sampleRate, TimeSpan frame)
    {
        // 2.5, 5, 10, 20, 40 or 60 ms.
        long tenthsOfMs = frame.Ticks / (TimeSpan.TicksPerMillisecond / 10);
        if (frame.Ticks % (TimeSpan.TicksPerMillisecond / 10) != 0 || tenthsOfMs is not (25 or 50 or 100 or 200 or 400 or 600))
        {
            throw new ArgumentException($"An Opus frame is 2.5, 5, 10, 20, 40 or 60 ms, not {frame.TotalMilliseconds} ms.", nameof(frame));
        }

        return (int)(sampleRate * tenthsOfMs / 10000);
    }

    /// <summary>Returns a rented buffer to the pool once, whoever disposes it first.</summary>
    private sealed class PooledBytes(byte[] buffer) : IDisposable
    {
        private byte[]? _buffer = buffer;

        public void Dispose()
        {
            byte[]? b = Interlocked.Exchange(ref _buffer, null);
            if (b is not null)
            {
                ArrayPool<byte>.Shared.Return(b);
            }
        }
    }
}
