using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// Converts stream chunks between the JSON form (<c>data</c> as base64 in the payload) and the
/// <see cref="BinaryStreamFrame"/> form, for hubs relaying between peers that did and did not announce
/// <c>binary_streams</c>. Every other byte of the envelope is kept as it is. Output is written in one piece and
/// only on success; nothing is allocated (multi-segment input is gathered into a pooled buffer first).
/// </summary>
public static class BinaryStreamConverter
{
    private static ReadOnlySpan<byte> DataProperty => "\"data\":\""u8;

    /// <summary>Converts a binary stream frame into a JSON <c>stream</c> envelope with base64 <c>data</c>.</summary>
    public static bool TryConvertToJson(ReadOnlySpan<byte> frame, IBufferWriter<byte> output, out ProtocolError error, ProtocolLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!BinaryStreamFrame.TryRead(frame, out BinaryStreamFrame parsed, out error, limits)) return false;
        ReadOnlySpan<byte> header = frame.Slice(BinaryStreamFrame.PrefixLength, parsed.HeaderLength);
        parsed.Header.Payload.TryGetContiguous(out ReadOnlySpan<byte> payload);
        parsed.TryGetContiguousData(out ReadOnlySpan<byte> data);

        int payloadStart = OffsetOf(header, payload);
        int close = payloadStart + payload.Length - 1; // the payload's closing brace
        bool emptyPayload = payload[1..^1].IndexOfAnyExcept(" \t\r\n"u8) < 0;
        int base64Length = Base64.GetMaxEncodedToUtf8Length(data.Length);
        int total = close + (emptyPayload ? 0 : 1) + DataProperty.Length + base64Length + 1 + (header.Length - close);

        Span<byte> destination = output.GetSpan(total);
        header[..close].CopyTo(destination);
        int position = close;
        if (!emptyPayload) destination[position++] = (byte)',';
        DataProperty.CopyTo(destination[position..]);
        position += DataProperty.Length;
        Base64.EncodeToUtf8(data, destination[position..], out _, out int encoded);
        position += encoded;
        destination[position++] = (byte)'"';
        header[close..].CopyTo(destination[position..]);
        position += header.Length - close;
        output.Advance(position);
        return true;
    }

    /// <summary>Converts a binary stream frame held in a (possibly multi-segment) sequence into a JSON envelope.</summary>
    public static bool TryConvertToJson(in ReadOnlySequence<byte> frame, IBufferWriter<byte> output, out ProtocolError error, ProtocolLimits? limits = null)
    {
        if (frame.IsSingleSegment) return TryConvertToJson(frame.FirstSpan, output, out error, limits);
        if (!CheckSize(frame.Length, limits, out error)) return false;
        byte[] gathered = Gather(frame);
        try
        {
            return TryConvertToJson(gathered.AsSpan(0, (int)frame.Length), output, out error, limits);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(gathered);
        }
    }

    /// <summary>Converts a JSON <c>stream</c> envelope into a binary stream frame (header without <c>data</c>, then the decoded bytes).</summary>
    public static bool TryConvertToBinary(ReadOnlySpan<byte> json, IBufferWriter<byte> output, out ProtocolError error, ProtocolLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!EnvelopeReader.TryRead(json, out MeshEnvelope envelope, out error, limits)) return false;
        if (envelope.Type != MessageType.Stream)
        {
            error = new ProtocolError(ProtocolErrorCode.InvalidFrame, 0, "type");
            return false;
        }
        envelope.Payload.TryGetContiguous(out ReadOnlySpan<byte> payload);
        int payloadStart = OffsetOf(json, payload);
        FindData(payload, out int removeStart, out int removeEnd, out int valueStart, out int valueEnd, out bool escaped);

        // The header is the envelope with the `data` member (and one adjacent comma) cut out.
        ReadOnlySpan<byte> before = json[..(payloadStart + removeStart)];
        ReadOnlySpan<byte> after = json[(payloadStart + removeEnd)..];
        int headerLength = before.Length + after.Length;
        if (headerLength > BinaryStreamFrame.MaxHeaderLength)
        {
            error = new ProtocolError(ProtocolErrorCode.TooLarge, 0, "header");
            return false;
        }
        var data = new Utf8JsonSlice(payload[valueStart..valueEnd], JsonTokenType.String, escaped);
        int dataStart = BinaryStreamFrame.PrefixLength + headerLength;
        Span<byte> destination = output.GetSpan(dataStart + Base64.GetMaxDecodedFromUtf8Length(valueEnd - valueStart - 2));
        if (StreamChunk.DecodeBase64(data, destination[dataStart..], out int decoded) != OperationStatus.Done)
        {
            error = new ProtocolError(ProtocolErrorCode.InvalidField, payloadStart + valueStart, "payload.data");
            return false;
        }
        destination[0] = BinaryStreamFrame.CurrentVersion;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)headerLength);
        before.CopyTo(destination[BinaryStreamFrame.PrefixLength..]);
        after.CopyTo(destination[(BinaryStreamFrame.PrefixLength + before.Length)..]);
        output.Advance(dataStart + decoded);
        return true;
    }

    /// <summary>Converts a JSON <c>stream</c> envelope held in a (possibly multi-segment) sequence into a binary stream frame.</summary>
    public static bool TryConvertToBinary(in ReadOnlySequence<byte> json, IBufferWriter<byte> output, out ProtocolError error, ProtocolLimits? limits = null)
    {
        if (json.IsSingleSegment) return TryConvertToBinary(json.FirstSpan, output, out error, limits);
        if (!CheckSize(json.Length, limits, out error)) return false;
        byte[] gathered = Gather(json);
        try
        {
            return TryConvertToBinary(gathered.AsSpan(0, (int)json.Length), output, out error, limits);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(gathered);
        }
    }

    // Locates the top-level `data` member of a validated payload object: the byte range to cut (member plus one
    // adjacent comma) and the range of its string token.
    private static void FindData(ReadOnlySpan<byte> payload, out int removeStart, out int removeEnd, out int valueStart, out int valueEnd, out bool escaped)
    {
        var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = int.MaxValue }); // validated already
        reader.Read();
        int previousEnd = (int)reader.BytesConsumed;
        bool first = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int nameStart = (int)reader.TokenStartIndex;
            bool isData = reader.ValueTextEquals("data"u8);
            reader.Read();
            if (isData)
            {
                valueStart = (int)reader.TokenStartIndex;
                valueEnd = (int)reader.BytesConsumed;
                escaped = reader.ValueIsEscaped;
                if (!first)
                {
                    removeStart = previousEnd; // from the end of the previous member: takes the comma before
                    removeEnd = valueEnd;
                    return;
                }
                removeStart = nameStart;
                int next = valueEnd + payload[valueEnd..].IndexOfAnyExcept(" \t\r\n"u8);
                removeEnd = payload[next] == (byte)',' ? next + 1 : valueEnd;
                return;
            }
            reader.Skip();
            previousEnd = (int)reader.BytesConsumed;
            first = false;
        }
        throw new InvalidOperationException("A validated stream payload always has data.");
    }

    private static int OffsetOf(ReadOnlySpan<byte> outer, ReadOnlySpan<byte> inner) =>
        (int)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(outer), ref MemoryMarshal.GetReference(inner));

    private static bool CheckSize(long length, ProtocolLimits? limits, out ProtocolError error)
    {
        int max = (limits ?? ProtocolLimits.Default).MaxMessageBytes;
        if (length > max)
        {
            error = new ProtocolError(ProtocolErrorCode.TooLarge, max);
            return false;
        }
        error = default;
        return true;
    }

    private static byte[] Gather(in ReadOnlySequence<byte> input)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)input.Length);
        input.CopyTo(buffer);
        return buffer;
    }
}
