using System.Buffers;
using System.Text.Json;

namespace Meowstik.Agent;

/// <summary>Best-effort recovery of the <c>id</c> of a message the codec rejected, so the error can be correlated.</summary>
internal static class InboundIds
{
    /// <summary>Scans the top-level properties for a string <c>id</c>; null when the message is too broken to find one.</summary>
    public static string? TryExtractId(ReadOnlySequence<byte> message)
    {
        var reader = new Utf8JsonReader(message, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isId = reader.ValueTextEquals("id"u8);
                if (!reader.Read())
                {
                    return null;
                }

                if (isId)
                {
                    return reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length <= 128 ? reader.GetString() : null;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Broken before an id was found.
        }

        return null;
    }
}
