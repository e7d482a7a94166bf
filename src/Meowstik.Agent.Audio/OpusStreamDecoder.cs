using System.Buffers;
using System.Text.Json;
using Concentus;
using Meowstik.Protocol;

namespace Meowstik.Agent.Audio;

/// <summary>
/// Decodes a received Opus stream (<see cref="MeshStreamChunk"/>s of one sender, in order) back to 16-bit PCM. A gap in
/// <c>chunk_index</c> is filled by Opus packet-loss concealment, one concealed frame per missing chunk (at most
/// <see cref="MaxConcealedFrames"/> per gap, so a long outage does not become seconds of invented sound); a chunk older
/// than the last one decoded (late or duplicated) is dropped. Not thread-safe: one decoder per stream.
/// </summary>
public sealed class OpusStreamDecoder : IDisposable
{
    /// <summary>The longest Opus packet in samples per channel at 48 kHz (120 ms).</summary>
    public const int MaxPacketSamples48K = 5760;

    private readonly IOpusDecoder _decoder;
    private readonly int _maxPacketSamples;
    private long _next = -1;

    /// <summary>Creates a decoder.</summary>
    /// <param name="format">The output: 8, 12, 16, 24 or 48 kHz; 1 or 2 channels (the sender's format, usually).</param>
    /// <param name="frameDuration">The sender's frame duration, the length concealed per missing chunk; 20 ms by default.</param>
    /// <param name="maxConcealedFrames">The most frames concealed for one gap; 10 (200 ms at 20 ms) by default.</param>
    public OpusStreamDecoder(AudioFormat format, TimeSpan? frameDuration = null, int maxConcealedFrames = 10)
    {
        OpusStreamEncoder.Validate(format);
        ArgumentOutOfRangeException.ThrowIfNegative(maxConcealedFrames);
        Format = format;
        FrameSamples = OpusStreamEncoder.FrameSamplesFor(format.SampleRate, frameDuration ?? TimeSpan.FromMilliseconds(20));
        MaxConcealedFrames = maxConcealedFrames;
        _maxPacketSamples = MaxPacketSamples48K * format.SampleRate / 48000;
        _decoder = OpusCodecFactory.CreateDecoder(format.SampleRate, format.Channels);
    }

    /// <summary>The PCM format produced.</summary>
    public AudioFormat Format { get; }

    /// <summary>Samples per channel concealed per missing chunk.</summary>
    public int FrameSamples { get; }

    /// <summary>The most frames concealed for one gap.</summary>
    public int MaxConcealedFrames { get; }

    /// <summary>Packets decoded.</summary>
    public long DecodedFrames { get; private set; }

    /// <summary>Frames concealed for missing chunks.</summary>
    public long ConcealedFrames { get; private set; }

    /// <summary>Missing chunks not concealed (beyond <see cref="MaxConcealedFrames"/> in one gap).</summary>
    public long SkippedFrames { get; private set; }

    /// <summary>Chunks dropped because they came late or twice.</summary>
    public long LateChunks { get; private set; }

    /// <summary>The format a chunk announces (<c>sample_rate</c>, <c>channels</c>), 48 kHz mono where it says nothing.</summary>
    /// <param name="chunk">A received chunk.</param>
    /// <returns>The format.</returns>
    public static AudioFormat FormatOf(MeshStreamChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        int rate = 48000, channels = 1;
        if (chunk.Metadata.ValueKind == JsonValueKind.Object)
        {
            if (chunk.Metadata.TryGetProperty("sample_rate", out JsonElement r) && r.TryGetInt32(out int sr))
            {
                rate = sr;
            }

            if (chunk.Metadata.TryGetProperty("channels", out JsonElement c) && c.TryGetInt32(out int ch))
            {
                channels = ch;
            }
        }

        return new AudioFormat(rate, channels);
    }

    /// <summary>Decodes a received chunk, concealing the chunks missing before it.</summary>
    /// <param name="chunk">An <c>audio</c>/<c>opus</c> chunk.</param>
    /// <param name="output">Receives the interleaved PCM.</param>
    /// <returns>Interleaved samples written (0 for a late chunk).</returns>
    public int Decode(MeshStreamChunk chunk, IBufferWriter<short> output)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        return Decode(chunk.Index, chunk.Data.Span, output);
    }

    /// <summary>Decodes one packet, concealing the chunks missing between the last index and <paramref name="index"/>.</summary>
    /// <param name="index">The packet's <c>chunk_index</c>; negative when the chunk carries none (taken as the next one).</param>
    /// <param name="packet">The Opus packet; empty to conceal this one frame.</param>
    /// <param name="output">Receives the interleaved PCM.</param>
    /// <returns>Interleaved samples written (0 for a late chunk).</returns>
    public int Decode(long index, ReadOnlySpan<byte> packet, IBufferWriter<short> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (index < 0)
        {
            index = _next < 0 ? 0 : _next;
        }

        if (_next >= 0 && index < _next)
        {
            LateChunks++;
            return 0;
        }

        int written = 0;
        if (_next >= 0 && index > _next)
        {
            long missing = index - _next;
            int conceal = (int)Math.Min(missing, MaxConcealedFrames);
            SkippedFrames += missing - conceal;
            written += Conceal(conceal, output);
        }

        _next = index + 1;
        if (packet.IsEmpty)
        {
            return written + Conceal(1, output);
        }

        Span<short> span = output.GetSpan(_maxPacketSamples * Format.Channels);
        int samples = _decoder.Decode(packet, span, _maxPacketSamples, false);
        output.Advance(samples * Format.Channels);
        DecodedFrames++;
        return written + samples * Format.Channels;
    }

    /// <summary>Conceals <paramref name="frames"/> lost frames (Opus packet-loss concealment).</summary>
    /// <param name="frames">How many frames of <see cref="FrameSamples"/> each.</param>
    /// <param name="output">Receives the interleaved PCM.</param>
    /// <returns>Interleaved samples written.</returns>
    public int Conceal(int frames, IBufferWriter<short> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        int written = 0;
        for (int i = 0; i < frames; i++)
        {
            Span<short> span = output.GetSpan(FrameSamples * Format.Channels);
            int samples = _decoder.Decode(ReadOnlySpan<byte>.Empty, span, FrameSamples, false);
            output.Advance(samples * Format.Channels);
            written += samples * Format.Channels;
            ConcealedFrames++;
        }

        return written;
    }

    /// <summary>Forgets the stream's position and state (a new stream starts).</summary>
    public void Reset()
    {
        _decoder.ResetState();
        _next = -1;
    }

    /// <inheritdoc />
    public void Dispose() => (_decoder as IDisposable)?.Dispose();
}
