using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Meowstik.Fuzz.Hub;

/// <summary>
/// The device end of one in-memory connection: a client WebSocket with a receive loop that answers routed commands
/// and queries (like a real device) and completes waiters by <c>correlation_id</c>.
/// </summary>
internal sealed class FuzzClient : IAsyncDisposable
{
    private readonly Stream _transport;
    private readonly WebSocket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _waiters = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _receiving;

    public FuzzClient(Stream transport)
    {
        _transport = transport;
        // No keep-alive pings from our side: the hub's own pings are answered by the WebSocket layer.
        _socket = WebSocket.CreateFromStream(transport, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        _receiving = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>Completes when the hub closed or dropped the connection.</summary>
    public Task Closed => _closed.Task;

    public bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>The close code the hub sent, once closed (null when the connection dropped without one).</summary>
    public int? CloseCode => IsClosed ? (int?)_socket.CloseStatus : null;

    /// <summary>The first text message from the hub that is not a valid envelope, if any (the hub must only send protocol).</summary>
    public string? BadOutput { get; private set; }

    /// <summary>Sends one message; false when the connection is already gone (the hub may close a misbehaving peer).</summary>
    public async Task<bool> SendAsync(ReadOnlyMemory<byte> message, WebSocketMessageType type, bool fragmented, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (fragmented && message.Length > 1)
            {
                int half = message.Length / 2;
                await _socket.SendAsync(message[..half], type, endOfMessage: false, cancellationToken).ConfigureAwait(false);
                await _socket.SendAsync(message[half..], type, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _socket.SendAsync(message, type, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            }
            return true;
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends a request with <paramref name="id"/> and waits for the message whose correlation_id is that id (its type is returned).</summary>
    public async Task<string?> RequestAsync(string id, string json, TimeSpan timeout)
    {
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters[id] = answer;
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            if (!await SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, fragmented: false, cts.Token).ConfigureAwait(false)) return null;
            Task done = await Task.WhenAny(answer.Task, _closed.Task, Task.Delay(timeout, cts.Token)).ConfigureAwait(false);
            return done == answer.Task ? answer.Task.Result : null;
        }
        finally
        {
            _waiters.TryRemove(id, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await SendCloseAsync().ConfigureAwait(false);
        _socket.Abort();
        await _transport.DisposeAsync().ConfigureAwait(false);
        await _receiving.ConfigureAwait(false);
        _socket.Dispose();
        _sendLock.Dispose();
    }

    private async Task SendCloseAsync()
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[16 * 1024];
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    // Answer the hub's close at once, as a well-behaved peer does, instead of leaving it to time out.
                    await SendCloseAsync().ConfigureAwait(false);
                    break;
                }
                length += result.Count;
                if (!result.EndOfMessage) continue;
                if (result.MessageType == WebSocketMessageType.Text) await OnMessageAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
                length = 0;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            _closed.TrySetResult();
        }
    }

    private async Task OnMessageAsync(ReadOnlyMemory<byte> message)
    {
        if (BadOutput is null && !Meowstik.Protocol.EnvelopeReader.TryRead(message.Span, out _, out Meowstik.Protocol.ProtocolError error))
        {
            BadOutput = $"{error}: {Encoding.UTF8.GetString(message.Span)}";
        }
        (string? type, string? id, string? correlationId) = Fields(message.Span);
        if (correlationId is not null && _waiters.TryGetValue(correlationId, out TaskCompletionSource<string>? waiter)) waiter.TrySetResult(type ?? "");
        if (type is "command" or "query" && id is not null)
        {
            // Answered without waiting, as a device would; the hub routes it back to whoever asked.
            string response = $$$"""{"type":"response","correlation_id":{{{JsonSerializer.Serialize(id, FuzzJson.Default.String)}}},"payload":{"ok":true}}""";
            await SendAsync(Encoding.UTF8.GetBytes(response), WebSocketMessageType.Text, fragmented: false, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static (string? Type, string? Id, string? CorrelationId) Fields(ReadOnlySpan<byte> utf8)
    {
        string? type = null, id = null, correlationId = null;
        var reader = new Utf8JsonReader(utf8);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string? name = reader.GetString();
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    if (name == "type") type = reader.GetString();
                    else if (name == "id") id = reader.GetString();
                    else if (name == "correlation_id") correlationId = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // Caught by the BadOutput check; here it simply completes no waiter.
        }
        return (type, id, correlationId);
    }
}

/// <summary>Source-generated JSON for the one value the client escapes (no reflection-based serialization).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class FuzzJson : System.Text.Json.Serialization.JsonSerializerContext;
