using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// The <c>stream</c> payload: <c>stream_type</c> (required), <c>codec</c>, <c>sample_rate</c>, <c>channels</c>,
/// <c>width</c>, <c>height</c>, <c>chunk_index</c>, <c>frame_index</c>, and <c>data</c> (required; base64 bytes).
/// A view over the input: <see cref="Data"/> stays encoded until <see cref="TryDecodeData"/> decodes it into a caller buffer.
/// </summary>
public readonly ref struct StreamChunk
{
    /// <summary><c>stream_type</c>, e.g. <c>audio</c>, <c>video</c>.</summary>
    public Utf8JsonSlice StreamType { get; init; }

    /// <summary><c>codec</c>, e.g. <c>opus</c>, <c>jpeg</c>, when present.</summary>
    public Utf8JsonSlice Codec { get; init; }

    /// <summary><c>sample_rate</c> in Hz, when present.</summary>
    public long? SampleRate { get; init; }

    /// <summary><c>channels</c>, when present.</summary>
    public long? Channels { get; init; }

    /// <summary><c>width</c> in pixels, when present.</summary>
    public long? Width { get; init; }

    /// <summary><c>height</c> in pixels, when present.</summary>
    public long? Height { get; init; }

    /// <summary><c>chunk_index</c>, when present.</summary>
    public long? ChunkIndex { get; init; }

    /// <summary><c>frame_index</c>, when present.</summary>
    public long? FrameIndex { get; init; }

    /// <summary>The raw <c>data</c> string token (base64, with quotes); absent in a binary stream frame's header.</summary>
    public Utf8JsonSlice Data { get; init; }

    /// <summary>An upper bound of the decoded size of <see cref="Data"/>: size a destination buffer with it.</summary>
    public int DecodedLengthUpperBound => Data.IsString ? Base64.GetMaxDecodedFromUtf8Length(Data.RawStringLength) : 0;

    /// <summary>
    /// Decodes <see cref="Data"/> into <paramref name="destination"/> (at least <see cref="DecodedLengthUpperBound"/> bytes is always enough).
    /// False when <c>data</c> is absent, not valid base64, or the destination is too small.
    /// </summary>
    public bool TryDecodeData(Span<byte> destination, out int written)
    {
        if (DecodeData(destination, out written) == OperationStatus.Done) return true;
        written = 0;
        return false;
    }

    /// <summary>Decodes <see cref="Data"/> like <see cref="TryDecodeData"/>, telling invalid base64 (InvalidData) from a short destination (DestinationTooSmall).</summary>
    public OperationStatus DecodeData(Span<byte> destination, out int written) => DecodeBase64(Data, destination, out written);

    /// <summary>Writes a complete stream payload object; <paramref name="data"/> is base64-encoded straight into the output.</summary>
    public static void Write(Utf8JsonWriter writer, scoped in StreamChunkMetadata metadata, ReadOnlySpan<byte> data)
    {
        WriteFields(writer, metadata);
        // Utf8JsonWriter encodes base64 directly into its output and never escapes '+' or '/'.
        writer.WriteBase64String("data"u8, data);
        writer.WriteEndObject();
    }

    /// <summary>Writes a stream payload object without <c>data</c> (the header of a binary stream frame).</summary>
    public static void WriteMetadata(Utf8JsonWriter writer, scoped in StreamChunkMetadata metadata)
    {
        WriteFields(writer, metadata);
        writer.WriteEndObject();
    }

    /// <summary>Reads a stream payload; <c>stream_type</c> and <c>data</c> are required strings, numbers non-negative integers.</summary>
    public static bool TryRead(Utf8JsonSlice payload, out StreamChunk value, out ProtocolError error) =>
        TryReadCore(payload, requireData: true, out value, out error);

    /// <summary>Reads a stream payload whose <c>data</c> may be absent (the header of a binary stream frame).</summary>
    public static bool TryReadMetadata(Utf8JsonSlice payload, out StreamChunk value, out ProtocolError error) =>
        TryReadCore(payload, requireData: false, out value, out error);

    /// <summary>Decodes a base64 string token: straight from the input when contiguous and unescaped, else via a pooled buffer.</summary>
    internal static OperationStatus DecodeBase64(Utf8JsonSlice data, Span<byte> destination, out int written)
    {
        written = 0;
        if (!data.IsString) return OperationStatus.InvalidData;
        if (data.TryGetUnescapedSpan(out ReadOnlySpan<byte> base64)) return DecodeFinal(base64, destination, out written);

        // Split across pipe segments or escaped (e.g. "\/"): gather the unescaped text into a pooled buffer first.
        byte[] scratch = ArrayPool<byte>.Shared.Rent(Math.Max(data.RawStringLength, 1));
        try
        {
            int length;
            if (!data.IsEscaped && data.TryGetSequence(out ReadOnlySequence<byte> raw))
            {
                length = data.RawStringLength;
                raw.Slice(1, length).CopyTo(scratch);
            }
            else if (!data.TryCopyString(scratch.AsSpan(), out length))
            {
                return OperationStatus.InvalidData;
            }
            return DecodeFinal(scratch.AsSpan(0, length), destination, out written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>True when a base64 string token is valid base64 (checked in place when contiguous and unescaped).</summary>
    internal static bool IsValidBase64(Utf8JsonSlice data)
    {
        if (!data.IsString) return false;
        if (data.TryGetUnescapedSpan(out ReadOnlySpan<byte> base64)) return Base64.IsValid(base64);
        byte[] scratch = ArrayPool<byte>.Shared.Rent(Math.Max(data.RawStringLength, 1));
        try
        {
            return data.TryCopyString(scratch.AsSpan(), out int length) && Base64.IsValid(scratch.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static OperationStatus DecodeFinal(ReadOnlySpan<byte> base64, Span<byte> destination, out int written)
    {
        OperationStatus status = Base64.DecodeFromUtf8(base64, destination, out _, out written, isFinalBlock: true);
        // A final block can only report NeedMoreData when the text length is not a multiple of 4: that is invalid data.
        return status == OperationStatus.NeedMoreData ? OperationStatus.InvalidData : status;
    }

    private static void WriteFields(Utf8JsonWriter writer, scoped in StreamChunkMetadata metadata)
    {
        if (metadata.StreamType.IsEmpty) throw new ArgumentException("stream_type is required.", nameof(metadata));
        writer.WriteStartObject();
        writer.WriteString("stream_type"u8, metadata.StreamType);
        if (!metadata.Codec.IsEmpty) writer.WriteString("codec"u8, metadata.Codec);
        if (metadata.SampleRate is long sampleRate) writer.WriteNumber("sample_rate"u8, sampleRate);
        if (metadata.Channels is long channels) writer.WriteNumber("channels"u8, channels);
        if (metadata.Width is long width) writer.WriteNumber("width"u8, width);
        if (metadata.Height is long height) writer.WriteNumber("height"u8, height);
        if (metadata.ChunkIndex is long chunkIndex) writer.WriteNumber("chunk_index"u8, chunkIndex);
        if (metadata.FrameIndex is long frameIndex) writer.WriteNumber("frame_index"u8, frameIndex);
    }

    private static bool TryReadCore(Utf8JsonSlice payload, bool requireData, out StreamChunk value, out ProtocolError error)
    {
        if (TryReadFast(payload, requireData, out value))
        {
            error = default;
            return true;
        }
        return TryReadWithReader(payload, requireData, out value, out error);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)] // cold: keep its frame out of TryRead
    private static bool TryReadWithReader(Utf8JsonSlice payload, bool requireData, out StreamChunk value, out ProtocolError error)
    {
        value = default;
        if (!PayloadReading.Begin(payload, out Utf8JsonReader reader, out error)) return false;
        Utf8JsonSlice streamType = default, codec = default, data = default;
        long? sampleRate = null, channels = null, width = null, height = null, chunkIndex = null, frameIndex = null;
        while (PayloadReading.NextProperty(ref reader))
        {
            // The data token dominates the payload: test for it first so the common case is one comparison.
            if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                if (!PayloadReading.String(payload, ref reader, out data)) return PayloadReading.Invalid(ref reader, "payload.data", out error);
            }
            else if (reader.ValueTextEquals("stream_type"u8))
            {
                reader.Read();
                if (!PayloadReading.String(payload, ref reader, out streamType)) return PayloadReading.Invalid(ref reader, "payload.stream_type", out error);
            }
            else if (reader.ValueTextEquals("codec"u8))
            {
                reader.Read();
                if (!PayloadReading.String(payload, ref reader, out codec)) return PayloadReading.Invalid(ref reader, "payload.codec", out error);
            }
            else if (reader.ValueTextEquals("sample_rate"u8))
            {
                if (!Count(ref reader, out sampleRate)) return PayloadReading.Invalid(ref reader, "payload.sample_rate", out error);
            }
            else if (reader.ValueTextEquals("channels"u8))
            {
                if (!Count(ref reader, out channels)) return PayloadReading.Invalid(ref reader, "payload.channels", out error);
            }
            else if (reader.ValueTextEquals("width"u8))
            {
                if (!Count(ref reader, out width)) return PayloadReading.Invalid(ref reader, "payload.width", out error);
            }
            else if (reader.ValueTextEquals("height"u8))
            {
                if (!Count(ref reader, out height)) return PayloadReading.Invalid(ref reader, "payload.height", out error);
            }
            else if (reader.ValueTextEquals("chunk_index"u8))
            {
                if (!Count(ref reader, out chunkIndex)) return PayloadReading.Invalid(ref reader, "payload.chunk_index", out error);
            }
            else if (reader.ValueTextEquals("frame_index"u8))
            {
                if (!Count(ref reader, out frameIndex)) return PayloadReading.Invalid(ref reader, "payload.frame_index", out error);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (!streamType.IsPresent) return PayloadReading.Missing("payload.stream_type", out error);
        if (requireData && !data.IsPresent) return PayloadReading.Missing("payload.data", out error);
        value = new StreamChunk
        {
            StreamType = streamType,
            Codec = codec,
            SampleRate = sampleRate,
            Channels = channels,
            Width = width,
            Height = height,
            ChunkIndex = chunkIndex,
            FrameIndex = frameIndex,
            Data = data,
        };
        return true;
    }

    // The scanner path: succeeds exactly when the reader path would, else leaves the case (and its error) to it.
    private static bool TryReadFast(Utf8JsonSlice payload, bool requireData, out StreamChunk value)
    {
        value = default;
        if (!FastMembers.TryCreate(payload, out FastMembers members)) return false;
        Utf8JsonSlice streamType = default, codec = default, data = default;
        long? sampleRate = null, channels = null, width = null, height = null, chunkIndex = null, frameIndex = null;
        int next;
        while ((next = members.Next()) == 1)
        {
            ReadOnlySpan<byte> name = members.Name;
            bool ok = name.Length switch
            {
                4 when name.SequenceEqual("data"u8) => FastString(ref members, ref data),
                5 when name.SequenceEqual("codec"u8) => FastString(ref members, ref codec),
                5 when name.SequenceEqual("width"u8) => FastCount(ref members, ref width),
                6 when name.SequenceEqual("height"u8) => FastCount(ref members, ref height),
                8 when name.SequenceEqual("channels"u8) => FastCount(ref members, ref channels),
                11 when name.SequenceEqual("stream_type"u8) => FastString(ref members, ref streamType),
                11 when name.SequenceEqual("sample_rate"u8) => FastCount(ref members, ref sampleRate),
                11 when name.SequenceEqual("chunk_index"u8) => FastCount(ref members, ref chunkIndex),
                11 when name.SequenceEqual("frame_index"u8) => FastCount(ref members, ref frameIndex),
                _ => true,
            };
            if (!ok) return false;
        }
        if (next < 0 || !streamType.IsPresent || (requireData && !data.IsPresent)) return false;
        value = new StreamChunk
        {
            StreamType = streamType,
            Codec = codec,
            SampleRate = sampleRate,
            Channels = channels,
            Width = width,
            Height = height,
            ChunkIndex = chunkIndex,
            FrameIndex = frameIndex,
            Data = data,
        };
        return true;
    }

    private static bool FastString(scoped ref FastMembers members, scoped ref Utf8JsonSlice value)
    {
        if (members.ValueType != JsonTokenType.String) return false;
        value = members.Slice();
        return true;
    }

    private static bool FastCount(scoped ref FastMembers members, scoped ref long? value)
    {
        if (members.ValueType == JsonTokenType.Null)
        {
            value = null;
            return true;
        }
        if (!members.TryGetInt64(out long number) || number < 0) return false;
        value = number;
        return true;
    }

    // A non-negative integer or null (absent).
    private static bool Count(ref Utf8JsonReader reader, out long? value)
    {
        value = null;
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long number) || number < 0) return false;
        value = number;
        return true;
    }
}
