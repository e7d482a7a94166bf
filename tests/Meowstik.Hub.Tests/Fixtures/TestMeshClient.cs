using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Meowstik.Hub.Tests.Fixtures;

/// <summary>
/// A real <see cref="ClientWebSocket"/> with a background receive loop: every received message is parsed and queued, so tests
/// can wait for a specific message with a timeout and observe the close status.
/// </summary>
public sealed class TestMeshClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonElement> _received = Channel.CreateUnbounded<JsonElement>();
    private readonly Channel<byte[]> _binary = Channel.CreateUnbounded<byte[]>();
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Task _receiveLoop;
    private HttpMessageInvoker? _invoker;

    private TestMeshClient(ClientWebSocket socket, bool receive)
    {
        _socket = socket;
        _receiveLoop = receive ? Task.Run(ReceiveLoopAsync) : Task.CompletedTask;
    }

    public ClientWebSocket Socket => _socket;

    public string? DeviceId { get; private set; }

    public string? SessionId { get; private set; }

    /// <summary>Completes with the close status once the hub closed the connection (null when it was aborted).</summary>
    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    public string? CloseDescription => _socket.CloseStatusDescription;

    /// <summary>
    /// Connects with a socket that lingers 0 s, so that <see cref="ClientWebSocket.Abort"/> resets the TCP connection (RST),
    /// as a device losing power or a killed process does, instead of closing it (FIN).
    /// </summary>
    public static async Task<TestMeshClient> ConnectResettableAsync(Uri uri, string? bearer = null)
    {
        var socket = new ClientWebSocket();
        if (bearer is not null) socket.Options.SetRequestHeader("Authorization", "Bearer " + bearer);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var raw = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, LingerState = new LingerOption(true, 0) };
                await raw.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(raw, ownsSocket: true);
            },
        };
        await socket.ConnectAsync(uri, new HttpMessageInvoker(handler, disposeHandler: false), timeout.Token);
        return new TestMeshClient(socket, receive: true);
    }

    /// <summary>Connects; with <paramref name="receive"/> false nothing is ever read (a stuck client).</summary>
    public static async Task<TestMeshClient> ConnectAsync(Uri uri, string? bearer = null, bool receive = true)
    {
        var socket = new ClientWebSocket();
        if (bearer is not null) socket.Options.SetRequestHeader("Authorization", "Bearer " + bearer);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        if (receive)
        {
            await socket.ConnectAsync(uri, timeout.Token);
        }
        else
        {
            // A stuck client: a tiny kernel receive buffer so the hub's side fills up after a few messages.
            using var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, ct) =>
                {
                    var raw = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096, NoDelay = true };
                    await raw.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(raw, ownsSocket: true);
                },
            };
            await socket.ConnectAsync(uri, new HttpMessageInvoker(handler, disposeHandler: false), timeout.Token);
        }
        return new TestMeshClient(socket, receive);
    }

    /// <summary>Connects over HTTP/2 (RFC 8441 extended CONNECT) without TLS: the server must speak HTTP/2 with prior knowledge.</summary>
    public static async Task<TestMeshClient> ConnectHttp2Async(Uri uri, string? bearer = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.HttpVersion = System.Net.HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        socket.Options.CollectHttpResponseDetails = true;
        if (bearer is not null) socket.Options.SetRequestHeader("Authorization", "Bearer " + bearer);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        // The HTTP/2 connection carrying the WebSocket stream belongs to the handler: it lives as long as the client.
        var invoker = new HttpMessageInvoker(new SocketsHttpHandler());
        try
        {
            await socket.ConnectAsync(uri, invoker, timeout.Token);
        }
        catch
        {
            invoker.Dispose();
            socket.Dispose();
            throw;
        }
        return new TestMeshClient(socket, receive: true) { _invoker = invoker };
    }

    public async Task SendAsync(string json)
    {
        await SendRawAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text);
    }

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes, WebSocketMessageType type)
    {
        await _sendLock.WaitAsync();
        try
        {
            using var timeout = new CancellationTokenSource(DefaultTimeout);
            await _socket.SendAsync(bytes, type, true, timeout.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends a register message and waits for the registration reply (throws when an error arrives instead).</summary>
    public async Task<JsonElement> RegisterAsync(string deviceId, string[] capabilities, string? authToken = null, string[]? features = null, bool includeFrom = true)
    {
        string caps = string.Join(",", capabilities.Select(c => JsonSerializer.Serialize(c)));
        string extra = authToken is null ? "" : $",\"auth_token\":\"{authToken}\"";
        if (features is not null) extra += ",\"features\":[" + string.Join(",", features.Select(f => JsonSerializer.Serialize(f))) + "]";
        string from = includeFrom ? $"\"from\":\"{deviceId}\"," : "";
        await SendAsync($$$"""{"id":"reg-{{{deviceId}}}","type":"register",{{{from}}}"payload":{"device_type":"test","device_name":"Test {{{deviceId}}}","capabilities":[{{{caps}}}]{{{extra}}}}}""");
        JsonElement reply = await ReceiveAsync(m => m.Type() is "response" or "error");
        if (reply.Type() == "error") throw new InvalidOperationException("Registration failed: " + reply.GetRawText());
        DeviceId = deviceId;
        SessionId = reply.GetProperty("payload").GetProperty("session_id").GetString();
        return reply;
    }

    /// <summary>Waits for the next message matching <paramref name="match"/> (others are skipped).</summary>
    public async Task<JsonElement> ReceiveAsync(Func<JsonElement, bool>? match = null, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            while (true)
            {
                JsonElement message = await _received.Reader.ReadAsync(cts.Token);
                if (match is null || match(message)) return message;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("No matching message within the timeout.");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The connection closed ({_socket.CloseStatus} {_socket.CloseStatusDescription}) before a matching message arrived.");
        }
    }

    /// <summary>Waits for the next binary message (a binary stream frame).</summary>
    public async Task<byte[]> ReceiveBinaryAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        return await _binary.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Waits for a message of the given type.</summary>
    public Task<JsonElement> ReceiveTypeAsync(string type, TimeSpan? timeout = null) => ReceiveAsync(m => m.Type() == type, timeout);

    /// <summary>True when no message matching <paramref name="match"/> arrives within <paramref name="wait"/>.</summary>
    public async Task<bool> NothingMatchingAsync(Func<JsonElement, bool> match, TimeSpan wait)
    {
        try
        {
            await ReceiveAsync(match, wait);
            return false;
        }
        catch (TimeoutException)
        {
            return true;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    /// <summary>Waits for the hub to close the connection; returns the close status.</summary>
    public async Task<WebSocketCloseStatus?> WaitClosedAsync(TimeSpan? timeout = null) =>
        await _closed.Task.WaitAsync(timeout ?? DefaultTimeout);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
        _socket.Abort();
        await _receiveLoop;
        _socket.Dispose();
        _invoker?.Dispose();
        _sendLock.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _closed.TrySetResult(_socket.CloseStatus);
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "ack", timeout.Token);
                    }
                    break;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage) continue;
                if (result.MessageType == WebSocketMessageType.Text)
                {
                    using JsonDocument document = JsonDocument.Parse(message.ToArray());
                    _received.Writer.TryWrite(document.RootElement.Clone());
                }
                else
                {
                    _binary.Writer.TryWrite(message.ToArray());
                }
                message.SetLength(0);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _closed.TrySetResult(_socket.CloseStatus);
        }
        finally
        {
            _received.Writer.TryComplete();
            _binary.Writer.TryComplete();
        }
    }
}
