using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace Meowstik.Hub.Tests.Fixtures;

/// <summary>
/// A minimal WebSocket server without ASP.NET Core: a <see cref="TcpListener"/>, a hand-written RFC 6455 upgrade, then
/// <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/> handed to <see cref="MeshHub.HandleConnectionAsync"/>.
/// The same code is shown in docs/hub.md.
/// </summary>
public sealed class BareWebSocketListener : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly MeshHub _hub;
    private readonly Task _accepting;
    private readonly List<Task> _connections = [];

    public BareWebSocketListener(MeshHub hub)
    {
        _hub = hub;
        _listener.Start();
        _accepting = AcceptLoopAsync();
    }

    public Uri Uri => new($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/ws/mesh");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ContinueWith(_ => { });
        Task[] running;
        lock (_connections) running = [.. _connections];
        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
            lock (_connections) _connections.Add(ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            NetworkStream stream = client.GetStream();
            string? path = null, key = null, token = null;
            using (var reader = new StreamReader(stream, Encoding.ASCII, detectEncodingFromByteOrderMarks: false, bufferSize: 1, leaveOpen: true))
            {
                string? line = await reader.ReadLineAsync(_stop.Token);
                path = line?.Split(' ')[1];
                while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync(_stop.Token)))
                {
                    int colon = line.IndexOf(':');
                    string name = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
                    if (name.Equals("Sec-WebSocket-Key", StringComparison.OrdinalIgnoreCase)) key = value;
                    if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) token = value[7..];
                }
            }
            if (key is null)
            {
                await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), _stop.Token);
                return;
            }
            string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"), _stop.Token);
            using WebSocket socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.FromSeconds(30) });
            var info = new MeshConnectionInfo(((IPEndPoint)client.Client.RemoteEndPoint!).Address.ToString(), MeshPathKind.Mesh, null, token);
            await _hub.HandleConnectionAsync(socket, info, _stop.Token);
        }
    }
}
