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

    /// <summary>Waits for the writer, encodes one message with <paramref name="encode"/> and sends it.</summary>
    public async Task SendAsync<TState>(TState state, Action<WebSocketMessageWriter, TState> encode, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            encode(_writer, state);
            await _writer.SendBufferAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }
}
