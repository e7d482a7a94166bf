using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace Meowstik.Protocol.Tests.Support;

/// <summary>A real WebSocket connection over loopback TCP: both ends are System.Net's managed WebSocket.</summary>
public sealed class WebSocketPair : IDisposable
{
    private readonly TcpListener _listener;
    private readonly TcpClient _clientTcp;
    private readonly TcpClient _serverTcp;

    private WebSocketPair(TcpListener listener, TcpClient clientTcp, TcpClient serverTcp)
    {
        _listener = listener;
        _clientTcp = clientTcp;
        _serverTcp = serverTcp;
        var noKeepAlive = TimeSpan.Zero;
        Server = WebSocket.CreateFromStream(serverTcp.GetStream(), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = noKeepAlive });
        Client = WebSocket.CreateFromStream(clientTcp.GetStream(), new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = noKeepAlive });
    }

    public WebSocket Server { get; }

    public WebSocket Client { get; }

    public static async Task<WebSocketPair> ConnectAsync()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient { NoDelay = true };
        Task connect = client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        TcpClient server = await listener.AcceptTcpClientAsync();
        await connect;
        server.NoDelay = true;
        return new WebSocketPair(listener, client, server);
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
        _clientTcp.Dispose();
        _serverTcp.Dispose();
        _listener.Stop();
    }
}
