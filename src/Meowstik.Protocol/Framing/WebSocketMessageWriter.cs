using System.Net.WebSockets;

namespace Meowstik.Protocol;

/// <summary>
/// Encodes and sends mesh messages on a WebSocket: one reusable <see cref="PooledBufferWriter"/> and
/// <see cref="EnvelopeWriter"/> per connection. Not thread-safe: use it from one send loop.
/// </summary>
public sealed class WebSocketMessageWriter : IDisposable
{
    private readonly WebSocket _socket;

    /// <summary>Creates a writer for <paramref name="socket"/>.</summary>
    public WebSocketMessageWriter(WebSocket socket, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        Envelope = new EnvelopeWriter(time);
    }

    /// <summary>The buffer the next message is encoded into (cleared by each send).</summary>
    public PooledBufferWriter Buffer { get; } = new();

    /// <summary>The envelope encoder writing into <see cref="Buffer"/>.</summary>
    public EnvelopeWriter Envelope { get; }

    /// <summary>Sends what is in <see cref="Buffer"/> as one text message, then clears it.</summary>
    public ValueTask SendBufferAsync(CancellationToken cancellationToken = default) => SendBufferAsync(WebSocketMessageType.Text, cancellationToken);

    /// <summary>Sends what is in <see cref="Buffer"/> as one message of <paramref name="type"/> (binary for a binary stream frame), then clears it.</summary>
    public async ValueTask SendBufferAsync(WebSocketMessageType type, CancellationToken cancellationToken = default)
    {
        try
        {
            await _socket.SendAsync(Buffer.WrittenMemory, type, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Buffer.Clear();
        }
    }

    /// <summary>Sends already-encoded bytes as one message (text for JSON envelopes, binary for binary stream frames).</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> message, WebSocketMessageType type = WebSocketMessageType.Text, CancellationToken cancellationToken = default) =>
        _socket.SendAsync(message, type, endOfMessage: true, cancellationToken);

    /// <summary>Encodes a message with a raw JSON payload and sends it.</summary>
    public ValueTask SendAsync(scoped in EnvelopeHeader header, ReadOnlySpan<byte> rawPayloadJson, CancellationToken cancellationToken = default)
    {
        Buffer.Clear();
        Envelope.Write(Buffer, header, rawPayloadJson);
        return SendBufferAsync(cancellationToken);
    }

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose() => Buffer.Dispose();
}
