using System.Buffers.Text;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using Meowstik.Agent.Testing;
using Meowstik.Hub.Core;

namespace Meowstik.Benchmarks.Routing;

/// <summary>
/// Registered ClientWebSocket devices on the shared real-hub fixture (<see cref="MeshTestHub"/>: Kestrel on 127.0.0.1, SQLite
/// in a temp directory), with the hub's production timers rather than the fixture's test ones.
/// Messages carry the sender's <see cref="Stopwatch"/> timestamp at a fixed offset, so a receiver measures one-way latency
/// without parsing or allocating (the hub forwards complete envelopes byte for byte).
/// </summary>
public sealed class LoopbackDevices : IAsyncDisposable
{
    /// <summary>Width of the timestamp digits patched into each message.</summary>
    public const int StampDigits = 19;

    private readonly MeshTestHub _hub;
    private readonly List<Device> _devices = [];
    private readonly CancellationTokenSource _stop = new();

    private LoopbackDevices(MeshTestHub hub) => _hub = hub;

    public Uri Uri => _hub.MeshUri;

    public MeshHub Hub => _hub.Hub;

    public static async Task<LoopbackDevices> StartAsync(bool auditDelivered)
    {
        var production = new MeshHubOptions();
        MeshTestHub hub = await MeshTestHub.StartAsync(o =>
        {
            // The fixture tightens timers for tests; measure with the hub's defaults.
            o.TimerResolution = production.TimerResolution;
            o.CloseTimeout = production.CloseTimeout;
            o.Audit.FlushInterval = production.Audit.FlushInterval;
            o.AuditDeliveredMessages = auditDelivered;
            o.RateLimitPerSecond = 10_000_000;
            o.RateLimitBurst = 10_000_000;
            o.OutboundBufferBytes = 64L * 1024 * 1024;
            o.EchoHeartbeats = false;
        });
        return new LoopbackDevices(hub);
    }

    /// <summary>Connects and registers a device; <paramref name="onMessage"/> sees every received message's bytes (on the receive loop).</summary>
    public async Task<Device> AddDeviceAsync(string deviceId, string[] grants, ReceiveHandler? onMessage)
    {
        IssuedToken token = await Hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = deviceId, DeviceId = deviceId, CommandGrants = grants });
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(Uri + "?token=" + token.Secret), CancellationToken.None);
        byte[] register = Encoding.UTF8.GetBytes($$$"""{"type":"register","from":"{{{deviceId}}}","payload":{"capabilities":["bench"]}}""");
        await socket.SendAsync(register, WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[16 * 1024];
        ValueWebSocketReceiveResult reply = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
        if (!Encoding.UTF8.GetString(buffer, 0, reply.Count).Contains("\"registered\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("Registration failed: " + Encoding.UTF8.GetString(buffer, 0, reply.Count));
        }
        var device = new Device(deviceId, socket, buffer, onMessage, _stop.Token);
        _devices.Add(device);
        return device;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (Device device in _devices) device.Socket.Abort();
        foreach (Device device in _devices) await device.Receiving.ContinueWith(_ => { });
        await _hub.DisposeAsync();
    }

    /// <summary>
    /// Builds a message template whose <c>"t"</c> field is a string of <see cref="StampDigits"/> digits (a string, because JSON
    /// numbers may not have leading zeros); returns it and the digits' offset.
    /// </summary>
    public static (byte[] Template, int StampOffset) Template(string json)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json.Replace("\"t\":0", "\"t\":\"" + new string('0', StampDigits) + "\"", StringComparison.Ordinal));
        int offset = bytes.AsSpan().IndexOf("\"t\":\""u8) + 5;
        return (bytes, offset);
    }

    /// <summary>Writes the current timestamp into a message built by <see cref="Template"/>.</summary>
    public static void Stamp(Span<byte> message, int offset)
    {
        Span<byte> digits = message.Slice(offset, StampDigits);
        digits.Fill((byte)'0');
        long now = Stopwatch.GetTimestamp();
        Span<byte> scratch = stackalloc byte[StampDigits];
        Utf8Formatter.TryFormat(now, scratch, out int written);
        scratch[..written].CopyTo(digits[(StampDigits - written)..]);
    }

    /// <summary>Reads the timestamp of a received message (forwarded unchanged, so the offset is the template's).</summary>
    public static long ReadStamp(ReadOnlySpan<byte> message, int offset) =>
        Utf8Parser.TryParse(message.Slice(offset, StampDigits), out long value, out _) ? value : 0;

    public delegate void ReceiveHandler(ReadOnlySpan<byte> message);

    /// <summary>A registered client device.</summary>
    public sealed class Device
    {
        internal Device(string id, ClientWebSocket socket, byte[] buffer, ReceiveHandler? onMessage, CancellationToken stop)
        {
            Id = id;
            Socket = socket;
            Receiving = onMessage is null ? Task.CompletedTask : ReceiveLoopAsync(buffer, onMessage, stop);
        }

        public string Id { get; }

        public ClientWebSocket Socket { get; }

        internal Task Receiving { get; }

        public ValueTask SendAsync(ReadOnlyMemory<byte> message) => Socket.SendAsync(message, WebSocketMessageType.Text, true, CancellationToken.None);

        private async Task ReceiveLoopAsync(byte[] buffer, ReceiveHandler onMessage, CancellationToken stop)
        {
            int filled = 0;
            while (!stop.IsCancellationRequested)
            {
                ValueWebSocketReceiveResult result = await Socket.ReceiveAsync(buffer.AsMemory(filled), stop);
                if (result.MessageType == WebSocketMessageType.Close) return;
                filled += result.Count;
                if (!result.EndOfMessage) continue;
                onMessage(buffer.AsSpan(0, filled));
                filled = 0;
            }
        }
    }
}
