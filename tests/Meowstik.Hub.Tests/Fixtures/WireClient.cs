using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Meowstik.Hub.Tests.Fixtures;

/// <summary>
/// A lean WebSocket client for load-shaped tests: messages are handed to a callback as raw UTF-8 (no JSON document per
/// message), so a test can push and check a hundred thousand messages quickly. Optionally answers every command with a
/// response, like a real device.
/// </summary>
public sealed class WireClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Func<WireClient, WireMessage, ValueTask> _onMessage;
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _receiveLoop = Task.CompletedTask;

    private WireClient(ClientWebSocket socket, Func<WireClient, WireMessage, ValueTask> onMessage)
    {
        _socket = socket;
        _onMessage = onMessage;
    }

    /// <summary>What ended the receive loop other than a close or a transport error (a bug in a handler or a bad message).</summary>
    public Exception? Fault { get; private set; }

    /// <summary>Messages handed to the callback so far.</summary>
    public long Received => Interlocked.Read(ref _received);

    private long _received;

    /// <summary>Completes with the close status once the connection ended (null when aborted).</summary>
    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    public ClientWebSocket Socket => _socket;

    /// <summary>Connects with a token, registers as <paramref name="deviceId"/> and starts the receive loop.</summary>
    public static async Task<WireClient> ConnectAsync(
        MeshTestHub host, string token, string deviceId, Func<WireClient, WireMessage, ValueTask> onMessage, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(TestMeshClient.DefaultTimeout);
        await socket.ConnectAsync(host.WebSocketUri(token: token), timeout.Token);
        var client = new WireClient(socket, onMessage);
        await client.SendAsync($$$$"""{"id":"reg","type":"register","from":"{{{{deviceId}}}}","payload":{"capabilities":["test"]}}""");
        // Read up to the answer to the register message before handing the socket to the loop. Other messages may come
        // first: once registered, a client observes presence events (another device's device_connected) at once.
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.AsMemory(), timeout.Token);
            WireMessage reply = WireMessage.Parse(buffer.AsSpan(0, result.Count));
            if (reply.CorrelationId != "reg") continue;
            if (reply.Type != "response") throw new InvalidOperationException("Registration failed: " + Encoding.UTF8.GetString(buffer, 0, result.Count));
            break;
        }
        client._receiveLoop = Task.Run(client.ReceiveLoopAsync);
        return client;
    }

    /// <summary>A handler for a device that answers every command with a response carrying its id.</summary>
    public static async ValueTask AnswerCommands(WireClient client, WireMessage message)
    {
        if (message.Type != "command") return;
        await client.SendAsync($$$$"""{"type":"response","correlation_id":"{{{{message.Id}}}}","payload":{"ok":true}}""");
    }

    public Task SendAsync(string json) => SendAsync(Encoding.UTF8.GetBytes(json));

    public async Task SendAsync(ReadOnlyMemory<byte> utf8)
    {
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(utf8, WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
        await _receiveLoop.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        _socket.Abort();
        _socket.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[64 * 1024];
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close) break;
                length += result.Count;
                if (!result.EndOfMessage) continue;
                Interlocked.Increment(ref _received);
                await _onMessage(this, WireMessage.Parse(buffer.AsSpan(0, length)));
                length = 0;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        catch (Exception ex)
        {
            Fault = ex;
        }
        finally
        {
            _closed.TrySetResult(_socket.CloseStatus);
        }
    }
}

/// <summary>The top-level fields a load-shaped test looks at.</summary>
public readonly record struct WireMessage(string? Type, string? Id, string? CorrelationId, string? From, int Length)
{
    public static WireMessage Parse(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        string? type = null, id = null, correlation = null, from = null;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string? name = reader.GetString();
            reader.Read();
            if (reader.TokenType == JsonTokenType.String)
            {
                switch (name)
                {
                    case "type": type = reader.GetString(); break;
                    case "id": id = reader.GetString(); break;
                    case "correlation_id": correlation = reader.GetString(); break;
                    case "from": from = reader.GetString(); break;
                }
            }
            else
            {
                reader.Skip();
            }
        }
        return new WireMessage(type, id, correlation, from, utf8.Length);
    }
}
