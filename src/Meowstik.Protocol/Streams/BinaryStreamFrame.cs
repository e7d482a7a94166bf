using System.Buffers;
using System.Buffers.Binary;

namespace Meowstik.Protocol;

/// <summary>
/// A stream chunk in binary form, sent as a binary WebSocket message by peers that announced
/// <c>features: ["binary_streams"]</c>: <c>0x01</c> (version), a big-endian uint16 header length, the header
/// (a UTF-8 JSON <c>stream</c> envelope whose payload has no <c>data</c>), then the raw chunk bytes.
/// A view over the input; valid only while the input is.
/// </summary>
public readonly ref struct BinaryStreamFrame
{
    /// <summary>The frame format version this codec reads and writes.</summary>
    public const byte CurrentVersion = 0x01;

    /// <summary>Bytes before the header: version (1) and header length (2).</summary>
    public const int PrefixLength = 3;

    /// <summary>Largest header, in bytes (the length field is a uint16).</summary>
    public const int MaxHeaderLength = ushort.MaxValue;

    private readonly ReadOnlySpan<byte> _data;
    private readonly ReadOnlySequence<byte> _dataSequence;
    private readonly bool _isSequence;

    private BinaryStreamFrame(MeshEnvelope header, int headerLength, ReadOnlySpan<byte> data)
    {
        Header = header;
        HeaderLength = headerLength;
        _data = data;
    }

    private BinaryStreamFrame(MeshEnvelope header, int headerLength, ReadOnlySequence<byte> data)
    {
        Header = header;
        HeaderLength = headerLength;
        if (data.IsSingleSegment)
        {
            _data = data.FirstSpan;
        }
        else
        {
            _dataSequence = data;
            _isSequence = true;
        }
    }

    /// <summary>The decoded header: a <c>stream</c> envelope whose payload carries the chunk's metadata (no <c>data</c>).</summary>
    public MeshEnvelope Header { get; }

    /// <summary>Length of the header JSON in bytes.</summary>
    public int HeaderLength { get; }

    /// <summary>Number of raw chunk bytes after the header.</summary>
    public long DataLength => _isSequence ? _dataSequence.Length : _data.Length;

    /// <summary>Returns the raw chunk bytes when they are contiguous in memory.</summary>
    public bool TryGetContiguousData(out ReadOnlySpan<byte> data)
    {
        data = _data;
        return !_isSequence;
    }

    /// <summary>Copies the raw chunk bytes into <paramref name="destination"/>; false when it is too small.</summary>
    public bool TryCopyDataTo(Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < DataLength) return false;
        if (_isSequence) _dataSequence.CopyTo(destination);
        else _data.CopyTo(destination);
        written = (int)DataLength;
        return true;
    }

    /// <summary>Reads the chunk's metadata (stream_type, codec, indices…) from the header payload.</summary>
    public bool TryReadMetadata(out StreamChunk metadata, out ProtocolError error) =>
        StreamChunk.TryReadMetadata(Header.Payload, out metadata, out error);

    /// <summary>True when <paramref name="message"/> starts like a binary stream frame of the current version.</summary>
    public static bool HasFramePrefix(ReadOnlySpan<byte> message) => message.Length >= PrefixLength && message[0] == CurrentVersion;

    /// <summary>Total size of a frame with the given header and data lengths.</summary>
    public static long GetFrameLength(int headerLength, long dataLength) => PrefixLength + (long)headerLength + dataLength;

    /// <summary>Decodes a frame held in one contiguous buffer. Never throws on bad input.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out BinaryStreamFrame value, out ProtocolError error, ProtocolLimits? limits = null)
    {
        value = default;
        limits ??= ProtocolLimits.Default;
        if (!TryReadPrefix(frame.Length, frame, limits, out int headerLength, out error)) return false;
        ReadOnlySpan<byte> header = frame.Slice(PrefixLength, headerLength);
        if (!TryReadHeader(header, default, false, limits, out MeshEnvelope envelope, out error)) return false;
        value = new BinaryStreamFrame(envelope, headerLength, frame[(PrefixLength + headerLength)..]);
        return true;
    }

    /// <summary>Decodes a frame held in a (possibly multi-segment) sequence, e.g. straight from a pipe. Never throws on bad input.</summary>
    public static bool TryRead(scoped in ReadOnlySequence<byte> frame, out BinaryStreamFrame value, out ProtocolError error, ProtocolLimits? limits = null)
    {
        if (frame.IsSingleSegment) return TryRead(frame.FirstSpan, out value, out error, limits);
        value = default;
        limits ??= ProtocolLimits.Default;
        Span<byte> prefix = stackalloc byte[PrefixLength];
        int prefixLength = (int)Math.Min(frame.Length, PrefixLength);
        frame.Slice(0, prefixLength).CopyTo(prefix);
        if (!TryReadPrefix(frame.Length, prefix[..prefixLength], limits, out int headerLength, out error)) return false;
        ReadOnlySequence<byte> header = frame.Slice(PrefixLength, headerLength);
        bool ok = header.IsSingleSegment
            ? TryReadHeader(header.FirstSpan, default, false, limits, out MeshEnvelope envelope, out error)
            : TryReadHeader(default, header, true, limits, out envelope, out error);
        if (!ok) return false;
        value = new BinaryStreamFrame(envelope, headerLength, frame.Slice(PrefixLength + headerLength));
        return true;
    }

    /// <summary>
    /// Writes a frame: prefix, <paramref name="headerJson"/> (a stream envelope without <c>data</c>, as written by
    /// <see cref="BinaryStreamFrameWriter"/>), then <paramref name="data"/>. Does not allocate.
    /// </summary>
    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> headerJson, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (headerJson.IsEmpty || headerJson.Length > MaxHeaderLength)
        {
            throw new ArgumentException($"The header must be 1 to {MaxHeaderLength} bytes.", nameof(headerJson));
        }
        Span<byte> span = output.GetSpan(PrefixLength + headerJson.Length);
        span[0] = CurrentVersion;
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)headerJson.Length);
        headerJson.CopyTo(span[PrefixLength..]);
        output.Advance(PrefixLength + headerJson.Length);
        // Copy the bytes in whatever pieces the output offers, so a pipe need not grow one huge segment.
        while (!data.IsEmpty)
        {
            span = output.GetSpan(1);
            int count = Math.Min(span.Length, data.Length);
            data[..count].CopyTo(span);
            output.Advance(count);
            data = data[count..];
        }
    }

    private static bool TryReadPrefix(long frameLength, ReadOnlySpan<byte> prefix, ProtocolLimits limits, out int headerLength, out ProtocolError error)
    {
        headerLength = 0;
        if (frameLength > limits.MaxMessageBytes)
        {
            error = new ProtocolError(ProtocolErrorCode.TooLarge, limits.MaxMessageBytes);
            return false;
        }
        if (prefix.Length < PrefixLength)
        {
            error = new ProtocolError(ProtocolErrorCode.InvalidFrame, prefix.Length, "header_length");
            return false;
        }
        if (prefix[0] != CurrentVersion)
        {
            error = new ProtocolError(ProtocolErrorCode.InvalidFrame, 0, "version");
            return false;
        }
        headerLength = BinaryPrimitives.ReadUInt16BigEndian(prefix[1..]);
        if (headerLength == 0 || PrefixLength + (long)headerLength > frameLength)
        {
            error = new ProtocolError(ProtocolErrorCode.InvalidFrame, 1, "header_length");
            return false;
        }
        error = default;
        return true;
    }

    private static bool TryReadHeader(
        ReadOnlySpan<byte> span,
        ReadOnlySequence<byte> sequence,
        bool isSequence,
        ProtocolLimits limits,
        out MeshEnvelope envelope,
        out ProtocolError error)
    {
        if (!EnvelopeReader.TryReadCore(span, sequence, isSequence, out envelope, out error, limits, requireStreamData: false))
        {
            // Report offsets relative to the frame, not the header.
            error = new ProtocolError(error.Code, error.Offset + PrefixLength, error.Field);
            return false;
        }
        if (envelope.Type != MessageType.Stream)
        {
            error = new ProtocolError(ProtocolErrorCode.InvalidFrame, PrefixLength, "type");
            envelope = default;
            return false;
        }
        return true;
    }
}
