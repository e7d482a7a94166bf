using System.Buffers;
using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// Encodes <see cref="BinaryStreamFrame"/>s without allocating: the header envelope is written into a reusable
/// pooled scratch buffer (its length must precede it), then the frame is emitted to the output.
/// Not thread-safe: use one per send loop.
/// </summary>
public sealed class BinaryStreamFrameWriter : IDisposable
{
    private readonly EnvelopeWriter _envelope;
    private readonly PooledBufferWriter _header = new(512);

    /// <summary>Creates a writer; <paramref name="time"/> supplies generated ids and timestamps (default: system clock).</summary>
    public BinaryStreamFrameWriter(TimeProvider? time = null) => _envelope = new EnvelopeWriter(time);

    /// <summary>The <c>id</c> of the last frame written.</summary>
    public ReadOnlySpan<byte> LastId => _envelope.LastId;

    /// <summary>Writes one frame: a <c>stream</c> header (type forced to stream) with <paramref name="metadata"/>, then <paramref name="data"/>.</summary>
    public void Write(IBufferWriter<byte> output, scoped in EnvelopeHeader header, scoped in StreamChunkMetadata metadata, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (header.Type != MessageType.Stream) throw new ArgumentException("A binary stream frame carries a stream envelope.", nameof(header));
        _header.Clear();
        Utf8JsonWriter json = _envelope.BeginEnvelope(_header, header);
        StreamChunk.WriteMetadata(json, metadata);
        _envelope.EndEnvelope();
        BinaryStreamFrame.Write(output, _header.WrittenSpan, data);
    }

    /// <summary>Returns the scratch buffer to the pool.</summary>
    public void Dispose() => _header.Dispose();
}
