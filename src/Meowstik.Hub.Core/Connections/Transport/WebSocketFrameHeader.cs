using System.Buffers.Binary;
using System.Net.WebSockets;

namespace Meowstik.Hub.Core;

/// <summary>
/// Writes the header of a server-to-client WebSocket frame (RFC 6455 §5.2): FIN set, no extension bits, no mask (servers
/// never mask), a text or binary opcode, and the 7-, 16- or 64-bit payload length.
/// </summary>
internal static class WebSocketFrameHeader
{
    /// <summary>The longest header a server frame needs (2 bytes + 64-bit length).</summary>
    public const int MaxLength = 10;

    /// <summary>Writes the header of one whole, unfragmented message into <paramref name="destination"/>; returns its length.</summary>
    public static int Write(Span<byte> destination, WebSocketMessageType type, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        destination[0] = type switch
        {
            WebSocketMessageType.Text => 0x81,
            WebSocketMessageType.Binary => 0x82,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Only text and binary data frames are written here."),
        };
        if (payloadLength <= 125)
        {
            destination[1] = (byte)payloadLength;
            return 2;
        }
        if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
            return 4;
        }
        destination[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
        return 10;
    }
}
