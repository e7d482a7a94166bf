using System.Buffers;
using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// One received <c>stream</c> chunk or frame, decoded: what an agent's stream subscription and the hub's in-process
/// stream subscribers see, whether it travelled as base64 JSON or as a binary frame.
/// </summary>
/// <param name="From">The source device, as stamped by the hub.</param>
/// <param name="StreamType">The stream type (<c>audio</c>, <c>video</c>, <c>can</c>…).</param>
/// <param name="Index">The <c>chunk_index</c> / <c>frame_index</c>, or -1 when absent.</param>
/// <param name="Codec">The codec (<c>opus</c>, <c>jpeg</c>…), when given.</param>
/// <param name="Data">The media bytes (base64-decoded, or the binary frame's body).</param>
/// <param name="Metadata">The payload's other fields (sample rate, width…) without <c>data</c>.</param>
/// <param name="Timestamp">The message timestamp.</param>
public sealed record MeshStreamChunk(
    string From,
    string StreamType,
    long Index,
    string? Codec,
    ReadOnlyMemory<byte> Data,
    JsonElement Metadata,
    DateTimeOffset Timestamp)
{
    /// <summary>Decodes a chunk from a <c>stream</c> payload.</summary>
    /// <param name="from">The sender as stamped by the hub.</param>
    /// <param name="payload">The payload object (<c>stream_type</c>, <c>codec</c>, indexes, and base64 <c>data</c> unless <paramref name="binaryData"/> is given).</param>
    /// <param name="timestamp">The message timestamp.</param>
    /// <param name="binaryData">The body of a binary stream frame; when given, <c>payload.data</c> is ignored.</param>
    /// <returns>The decoded chunk; its <see cref="Metadata"/> is a detached copy of the payload without <c>data</c>.</returns>
    public static MeshStreamChunk FromPayload(string from, JsonElement payload, DateTimeOffset timestamp, ReadOnlyMemory<byte>? binaryData = null)
    {
        ArgumentNullException.ThrowIfNull(from);
        ReadOnlyMemory<byte> data = binaryData ?? ReadOnlyMemory<byte>.Empty;
        string streamType = string.Empty;
        string? codec = null;
        long index = -1;
        var metadata = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(metadata))
        {
            writer.WriteStartObject();
            if (payload.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty property in payload.EnumerateObject())
                {
                    JsonElement value = property.Value;
                    if (property.NameEquals("data"u8))
                    {
                        if (binaryData is null && value.ValueKind == JsonValueKind.String && value.TryGetBytesFromBase64(out byte[]? bytes)) data = bytes;
                        continue;
                    }
                    if (property.NameEquals("stream_type"u8) && value.ValueKind == JsonValueKind.String) streamType = value.GetString() ?? string.Empty;
                    else if (property.NameEquals("codec"u8) && value.ValueKind == JsonValueKind.String) codec = value.GetString();
                    else if ((property.NameEquals("chunk_index"u8) || (index < 0 && property.NameEquals("frame_index"u8)))
                             && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long i)) index = i;
                    property.WriteTo(writer);
                }
            }
            writer.WriteEndObject();
        }
        using JsonDocument meta = JsonDocument.Parse(metadata.WrittenMemory);
        return new MeshStreamChunk(from, streamType, index, codec, data, meta.RootElement.Clone(), timestamp);
    }
}
