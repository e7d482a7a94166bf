using System.Net.WebSockets;
using System.Text;

namespace Meowstik.LoadTest.Systems;

/// <summary>
/// A hub device over a raw <see cref="ClientWebSocket"/>: registers with a device token, then sends pre-encoded envelopes and
/// hands every received message to a <see cref="MessageHandler"/>. Like every device, it sends a <c>heartbeat</c> every
/// <c>heartbeat_interval</c> (from the registration reply) when it has sent nothing else for that long: the hub closes a silent
/// device with 4005 after three intervals. Records how the hub closed it when it did not ask to close.
/// </summary>
internal sealed class HubClient : IMessagingClient
{
    private const int ReceiveBufferBytes = 16 * 1024;

    private static readonly byte[] Heartbeat = Encoding.UTF8.GetBytes("""{"type":"heartbeat"}""");

    private readonly ClientWebSocket _socket;
    private readonly ConnectionHealth _health;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private Task _receiving = Task.CompletedTask;
    private Task _heartbeats = Task.CompletedTask;
    private long _lastSend = Environment.TickCount64;
    private volatile bool _closing;

    private HubClient(string id, ClientWebSocket socket, ConnectionHealth health)
    {
        Id = id;
        _socket = socket;
        _health = health;
    }

    public string Id { get; }

    public static async Task<HubClient> ConnectAsync(Uri meshUri, string deviceId, string token, MessageHandler? onMessage, ConnectionHealth health, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(new Uri(meshUri + "?token=" + Uri.EscapeDataString(token)), timeout.Token).ConfigureAwait(false);
            byte[] register = Encoding.UTF8.GetBytes($$$"""{"type":"register","from":"{{{deviceId}}}","payload":{"device_type":"loadtest","capabilities":["loadtest"]}}""");
            await socket.SendAsync(register, WebSocketMessageType.Text, true, timeout.Token).ConfigureAwait(false);
            var buffer = new byte[ReceiveBufferBytes];
            string reply = await ReceiveTextAsync(socket, buffer, timeout.Token).ConfigureAwait(false);
            if (!reply.Contains("\"registered\"", StringComparison.Ordinal)) throw new InvalidOperationException($"{deviceId} could not register: {reply}");
            var client = new HubClient(deviceId, socket, health);
            client._receiving = client.ReceiveLoopAsync(buffer, onMessage);
            client._heartbeats = client.HeartbeatLoopAsync(HeartbeatInterval(reply));
            return client;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask SendAsync(string to, byte[] message, CancellationToken cancellationToken)
    {
        // The lock is uncontended except when a heartbeat is due; a WebSocket allows one send at a time.
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(message.AsMemory(), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
            _lastSend = Environment.TickCount64;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "load test done", timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Abort();
        await _receiving.ConfigureAwait(false);
        await _heartbeats.ConfigureAwait(false);
        _socket.Dispose();
        _stop.Dispose();
        _sendLock.Dispose();
    }

    private async Task ReceiveLoopAsync(byte[] buffer, MessageHandler? onMessage)
    {
        int filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(buffer.AsMemory(filled), _stop.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (!_closing) _health.RecordUnwantedClose($"closed by hub {(int?)_socket.CloseStatus} ({_socket.CloseStatusDescription})");
                    await AcknowledgeCloseAsync().ConfigureAwait(false);
                    return;
                }
                filled += result.Count;
                if (!result.EndOfMessage) continue;
                if (onMessage is not null) await onMessage(this, buffer.AsMemory(0, filled)).ConfigureAwait(false);
                filled = 0;
            }
        }
        catch (Exception ex) when (_closing && ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Closing on purpose.
        }
        catch (Exception ex)
        {
            _health.RecordUnwantedClose($"connection lost ({ex.GetType().Name}: {ex.Message})");
        }
    }

    private async Task AcknowledgeCloseAsync()
    {
        if (_socket.State != WebSocketState.CloseReceived) return;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "ack", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task HeartbeatLoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval / 4);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (Environment.TickCount64 - _lastSend < interval.TotalMilliseconds) continue;
                await SendAsync("hub", Heartbeat, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection is gone; the receive loop records why.
        }
    }

    /// <summary>The registration reply's <c>heartbeat_interval</c> (ms), or 30 s.</summary>
    private static TimeSpan HeartbeatInterval(string registered)
    {
        const string Key = "\"heartbeat_interval\":";
        int at = registered.IndexOf(Key, StringComparison.Ordinal);
        if (at < 0) return TimeSpan.FromSeconds(30);
        ReadOnlySpan<char> digits = registered.AsSpan(at + Key.Length);
        int end = 0;
        while (end < digits.Length && char.IsAsciiDigit(digits[end])) end++;
        return int.TryParse(digits[..end], System.Globalization.CultureInfo.InvariantCulture, out int ms) && ms > 0 ? TimeSpan.FromMilliseconds(ms) : TimeSpan.FromSeconds(30);
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        int filled = 0;
        while (true)
        {
            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close) return $"closed {socket.CloseStatus} {socket.CloseStatusDescription}";
            filled += result.Count;
            if (result.EndOfMessage) return Encoding.UTF8.GetString(buffer, 0, filled);
        }
    }
}
