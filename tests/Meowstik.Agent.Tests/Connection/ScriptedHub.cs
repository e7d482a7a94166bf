using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Tests.Connection;

/// <summary>
/// A real Kestrel WebSocket endpoint on 127.0.0.1 whose side of the conversation the test scripts message by message:
/// used to drive the agent through cases a well-behaved hub never produces (malformed input, odd close codes).
/// </summary>
internal sealed class ScriptedHub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<ScriptedConnection> _accepted = Channel.CreateUnbounded<ScriptedConnection>();
    private readonly List<ScriptedConnection> _all = [];
    private int _upgradeAttempts;

    private ScriptedHub(WebApplication app)
    {
        _app = app;
    }

    public Uri Uri { get; private set; } = null!;

    public int Port => Uri.Port;

    /// <summary>When set, upgrade requests are refused with this HTTP status.</summary>
    public int? RefuseWithStatus { get; set; }

    public int UpgradeAttempts => Volatile.Read(ref _upgradeAttempts);

    public static async Task<ScriptedHub> StartAsync(int port = 0)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        WebApplication app = builder.Build();
        var hub = new ScriptedHub(app);
        app.UseWebSockets();
        app.Map("/ws/mesh", hub.AcceptAsync);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        hub.Uri = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/ws/mesh");
        return hub;
    }

    public async Task<ScriptedConnection> NextConnectionAsync(TimeSpan? timeout = null) =>
        await _accepted.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? TimeSpan.FromSeconds(10));

    public bool TryGetConnection(out ScriptedConnection? connection) => _accepted.Reader.TryRead(out connection);

    public async ValueTask DisposeAsync()
    {
        lock (_all)
        {
            foreach (ScriptedConnection connection in _all)
            {
                connection.Abort();
            }
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(deadline.Token);
        await _app.DisposeAsync();
    }

    private async Task AcceptAsync(HttpContext context)
    {
        Interlocked.Increment(ref _upgradeAttempts);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        if (RefuseWithStatus is int status)
        {
            context.Response.StatusCode = status;
            return;
        }

        WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
        var connection = new ScriptedConnection(socket, context.Request.Headers);
        lock (_all)
        {
            _all.Add(connection);
        }

        _accepted.Writer.TryWrite(connection);
        try
        {
            await connection.Finished.WaitAsync(context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // Server stopping or client gone.
        }
    }
}

/// <summary>One accepted agent connection; the test reads what the agent sent and answers.</summary>
internal sealed class ScriptedConnection
{
    private readonly WebSocket _socket;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ScriptedConnection(WebSocket socket, IHeaderDictionary headers)
    {
        _socket = socket;
        Headers = headers;
    }

    public IHeaderDictionary Headers { get; }

    public Task Finished => _finished.Task;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    /// <summary>Receives the next message as JSON; null when the agent closed the connection.</summary>
    public async Task<JsonElement?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        while (true)
        {
            WebSocketReceiveResult result = await _socket.ReceiveAsync(chunk, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            buffer.Write(chunk, 0, result.Count);
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(buffer.ToArray()).RootElement.Clone();
            }
        }
    }

    /// <summary>Receives messages until one of <paramref name="type"/> arrives (skipping heartbeats and others).</summary>
    public async Task<JsonElement> ReceiveTypeAsync(string type, TimeSpan? timeout = null)
    {
        DateTime end = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            TimeSpan left = end - DateTime.UtcNow;
            JsonElement? message = await ReceiveAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            if (message is null)
            {
                throw new InvalidOperationException($"The agent closed the connection while a '{type}' was expected.");
            }

            if (message.Value.GetProperty("type").GetString() == type)
            {
                return message.Value;
            }
        }
    }

    public Task SendAsync(string json) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendBinaryAsync(byte[] bytes) =>
        _socket.SendAsync(bytes, WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>Reads the agent's register and answers with registered (listing <paramref name="acceptedFeatures"/>, when given, as <c>features</c>).</summary>
    public async Task<JsonElement> AcceptRegistrationAsync(long heartbeatIntervalMs = 30000, string sessionId = "sess_test", string? acceptedFeatures = null)
    {
        JsonElement register = await ReceiveTypeAsync("register");
        string id = register.GetProperty("id").GetString()!;
        string features = acceptedFeatures is null ? "" : $",\"features\":[\"{acceptedFeatures}\"]";
        await SendAsync("""{"id":"msg_1_hub","type":"response","from":"hub","to":"@@0@@","correlation_id":"@@1@@","payload":{"status":"registered","session_id":"@@2@@","heartbeat_interval":@@3@@@@4@@}}""".Replace("@@0@@", register.GetProperty("from").GetString()).Replace("@@1@@", id).Replace("@@2@@", sessionId).Replace("@@3@@", heartbeatIntervalMs.ToString(System.Globalization.CultureInfo.InvariantCulture)).Replace("@@4@@", features));
        return register;
    }

    /// <summary>Receives the next message as it came: its WebSocket type and bytes (null when the agent closed).</summary>
    public async Task<(WebSocketMessageType Type, byte[] Bytes)?> ReceiveRawAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        while (true)
        {
            WebSocketReceiveResult result = await _socket.ReceiveAsync(chunk, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            buffer.Write(chunk, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, buffer.ToArray());
            }
        }
    }

    public async Task CloseAsync(int code, string description)
    {
        try
        {
            await _socket.CloseOutputAsync((WebSocketCloseStatus)code, description, CancellationToken.None);
        }
        finally
        {
            _finished.TrySetResult();
        }
    }

    /// <summary>Drops the TCP connection without a close handshake.</summary>
    public void Abort()
    {
        try
        {
            _socket.Abort();
        }
        catch (ObjectDisposedException)
        {
            // The request already ended.
        }

        _finished.TrySetResult();
    }

    public async Task<bool> WaitForAgentCloseAsync(TimeSpan timeout)
    {
        try
        {
            while (await ReceiveAsync(timeout) is not null)
            {
            }

            // Complete the close handshake as a real server does.
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            return true;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            return false;
        }
        finally
        {
            _finished.TrySetResult();
        }
    }
}
