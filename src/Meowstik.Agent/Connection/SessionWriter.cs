using System.Net.WebSockets;
using Meowstik.Protocol;

namespace Meowstik.Agent;

/// <summary>
/// The write side of one connection, shared by the outbox's send loop and the heartbeat loop: one message at a time
/// (each encodes into the writer's buffer, then sends it).
/// </summary>
internal sealed class SessionWriter
{
    private readonly WebSocketMessageWriter _writer;
    private readonly SemaphoreSlim _lock = new(1, 1);

    public SessionWriter(WebSocketMessageWriter writer)
    {
        _writer = writer;
    }

    /// <summary>
    /// Waits for the writer, encodes one message with <paramref name="encode"/> and sends it as the message type the
    /// encoder returns (text for JSON, binary for a binary stream frame).
    /// </summary>
    public async Task SendAsync<TState>(TState state, Func<WebSocketMessageWriter, TState, WebSocketMessageType> encode, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            WebSocketMessageType type = encode(_writer, state);
            await _writer.SendBufferAsync(type, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }
}
