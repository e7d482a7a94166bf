using System.Buffers;
using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Hub.Core;

/// <summary>
/// Finds the <c>id</c> of a message the hub answers with an error before (or instead of) decoding it: one the codec
/// refused, one over the rate limit, a binary frame from a connection that may not send them. The error then carries
/// that id as <c>correlation_id</c>, so the sender can fail the right request at once instead of waiting for its timeout.
/// Best effort and bounded: only a top-level string <c>id</c> that appears before anything unreadable counts, and only one
/// a peer's codec accepts with default limits (1 to <see cref="ProtocolLimits.MaxIdBytes"/> escaped bytes). Not used on
/// the routing path (the codec reads the id there).
/// </summary>
internal static class MessageIdScanner
{
    private static readonly int MaxIdBytes = ProtocolLimits.Default.MaxIdBytes;

    /// <summary>The unescaped id copied into <paramref name="buffer"/>, or empty when none can be found.</summary>
    /// <param name="message">The whole message: a JSON envelope, or a binary stream frame (its JSON header is searched).</param>
    /// <param name="type">Text or binary.</param>
    /// <param name="buffer">Receives the id; at least <see cref="EnvelopeText.MaxIdBytes"/> bytes.</param>
    public static ReadOnlySpan<byte> Find(ReadOnlySequence<byte> message, WebSocketMessageType type, Span<byte> buffer)
    {
        if (type == WebSocketMessageType.Text) return FindInJson(message, buffer);
        if (type != WebSocketMessageType.Binary || message.Length < BinaryStreamFrame.PrefixLength) return default;
        Span<byte> prefix = stackalloc byte[BinaryStreamFrame.PrefixLength];
        message.Slice(0, BinaryStreamFrame.PrefixLength).CopyTo(prefix);
        int headerLength = BinaryPrimitives.ReadUInt16BigEndian(prefix[1..]);
        if (prefix[0] != BinaryStreamFrame.CurrentVersion || BinaryStreamFrame.PrefixLength + headerLength > message.Length) return default;
        return FindInJson(message.Slice(BinaryStreamFrame.PrefixLength, headerLength), buffer);
    }

    private static ReadOnlySpan<byte> FindInJson(ReadOnlySequence<byte> json, Span<byte> buffer)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isId = reader.ValueTextEquals("id"u8);
                if (!reader.Read()) return default;
                if (!isId)
                {
                    reader.Skip();
                    continue;
                }
                if (reader.TokenType != JsonTokenType.String) return default;
                long escaped = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
                if (escaped == 0 || escaped > MaxIdBytes || escaped > buffer.Length) return default;
                int written = reader.CopyString(buffer);
                return buffer[..written];
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Unreadable before an id was found: there is no id to answer with.
        }
        return default;
    }
}
