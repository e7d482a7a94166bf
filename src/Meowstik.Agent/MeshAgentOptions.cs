using System.Net;

using Meowstik.Protocol;

namespace Meowstik.Agent;

/// <summary>Configures a <see cref="MeshAgent"/>. Every setting has a documented default; only
/// <see cref="DeviceId"/> and a token (<see cref="Token"/> or <see cref="TokenProvider"/>) are required.</summary>
public sealed class MeshAgentOptions
{
    /// <summary>The default hub endpoint from the design document: <c>wss://meowstik.replit.app/ws/mesh</c>.</summary>
    public static readonly Uri DefaultHubUri = new("wss://meowstik.replit.app" + MeshPaths.Mesh);

    /// <summary>The hub's WebSocket endpoint (<c>ws://</c> or <c>wss://</c>). Default: <see cref="DefaultHubUri"/>.
    /// See <see cref="MeshPaths"/> for the per-kind paths.</summary>
    public Uri HubUri { get; set; } = DefaultHubUri;

    /// <summary>This device's id (1-64 of <c>[A-Za-z0-9._-]</c>), e.g. <c>comma3x-001</c>. Required.</summary>
    public string DeviceId { get; set; } = string.Empty;

    /// <summary>The <c>device_type</c> sent at registration (e.g. <c>vehicle</c>, <c>desktop</c>). Default: <c>generic</c>.</summary>
    public string DeviceType { get; set; } = "generic";

    /// <summary>The human-readable <c>device_name</c>. Default: null, which sends <see cref="DeviceId"/>.</summary>
    public string? DeviceName { get; set; }

    /// <summary>The device token sent as <c>auth_token</c>. Default: null; set this or <see cref="TokenProvider"/>.</summary>
    public string? Token { get; set; }

    /// <summary>Supplies the token on every connect (for rotating tokens or a secure store); wins over <see cref="Token"/>. Default: null.</summary>
    public Func<CancellationToken, ValueTask<string>>? TokenProvider { get; set; }

    /// <summary>Capability names to advertise in addition to those of the registered capability plugins. Default: empty.</summary>
    public IList<string> Capabilities { get; } = [];

    /// <summary>How long to wait between reconnect attempts. Default: <see cref="ExponentialBackoffPolicy"/> (full jitter, 1 s initial, 60 s cap).</summary>
    public IReconnectPolicy ReconnectPolicy { get; set; } = new ExponentialBackoffPolicy();

    /// <summary>A connection that stayed online this long resets the backoff to its first step. Default: 30 seconds.</summary>
    public TimeSpan StableConnectionThreshold { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>What to do after the hub rejects the token: null (default) stops in <see cref="AgentState.AuthFailed"/>;
    /// a value waits that long (fixed, no backoff reset) and tries again, useful with a <see cref="TokenProvider"/>.</summary>
    public TimeSpan? AuthFailureRetryDelay { get; set; }

    /// <summary>The heartbeat period used until the hub's <c>registered</c> message sets <c>heartbeat_interval</c>. Default: 30 seconds.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long opening the WebSocket may take. Default: 15 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long to wait for <c>registered</c> after sending <c>register</c>. Default: 10 seconds.</summary>
    public TimeSpan RegistrationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>WebSocket ping period (keep-alive through NATs and proxies). Default: 15 seconds; <see cref="TimeSpan.Zero"/> disables.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long to wait for a pong before treating the connection as dead (tunnels, sleeping Wi-Fi).
    /// Default: 10 seconds; <see cref="Timeout.InfiniteTimeSpan"/> sends unsolicited pongs only.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Responses, events and requests kept while offline (drop-oldest when full, each drop counted). Default: 1024.</summary>
    public int OutboxCapacity { get; set; } = 1024;

    /// <summary>Stream chunks buffered while online before the oldest is dropped. Default: 64.</summary>
    public int StreamBufferCapacity { get; set; } = 64;

    /// <summary>Commands/queries handled at the same time. Default: 8.</summary>
    public int MaxConcurrentCommands { get; set; } = 8;

    /// <summary>Commands/queries accepted (running or waiting for a slot) before new ones get a <c>busy</c> error. Default: 256.</summary>
    public int MaxPendingCommands { get; set; } = 256;

    /// <summary>The longest <see cref="CommandTimeout"/>, <see cref="RequestTimeout"/> and <see cref="HeartbeatInterval"/> accepted: about 24.8 days (timers cannot wait longer).</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <summary>
    /// The deadline of one command/query, including time waiting for a slot; then a <c>timeout</c> error is sent. A sender's
    /// <c>timeout_ms</c> can shorten it, never extend it (larger values are clamped to this). Default: 30 seconds.
    /// </summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The default wait for the answer to a query/command this agent sends to another device. Default: 30 seconds.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest message accepted from the hub, in bytes. Default: 1 MiB (the protocol limit).</summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>TLS settings: private CA, certificate pinning, client certificates. Default: platform validation.</summary>
    public MeshAgentTlsOptions Tls { get; } = new();

    /// <summary>The HTTP proxy for the WebSocket connection. Default: null (the system default proxy).</summary>
    public IWebProxy? Proxy { get; set; }

    /// <summary>Extra HTTP headers on the WebSocket upgrade request. Default: empty.</summary>
    public IDictionary<string, string> RequestHeaders { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Checks the options and throws a clear error for the first invalid one.</summary>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public void Validate()
    {
        if (HubUri is null || !HubUri.IsAbsoluteUri || (HubUri.Scheme != "ws" && HubUri.Scheme != "wss"))
        {
            throw new ArgumentException("HubUri must be an absolute ws:// or wss:// URI.", nameof(HubUri));
        }

        if (!Meowstik.Protocol.DeviceId.IsValid(DeviceId.AsSpan()) || Meowstik.Protocol.DeviceId.IsReserved(DeviceId.AsSpan()))
        {
            throw new ArgumentException($"DeviceId '{DeviceId}' is invalid: use 1-64 of [A-Za-z0-9._-], not 'hub' or 'broadcast'.", nameof(DeviceId));
        }

        if (string.IsNullOrEmpty(Token) && TokenProvider is null)
        {
            throw new ArgumentException("Set Token or TokenProvider: the hub requires a device token.", nameof(Token));
        }

        if (string.IsNullOrWhiteSpace(DeviceType))
        {
            throw new ArgumentException("DeviceType must not be empty.", nameof(DeviceType));
        }

        ArgumentNullException.ThrowIfNull(ReconnectPolicy, nameof(ReconnectPolicy));
        RequirePositive(HeartbeatInterval, nameof(HeartbeatInterval));
        RequirePositive(ConnectTimeout, nameof(ConnectTimeout));
        RequirePositive(RegistrationTimeout, nameof(RegistrationTimeout));
        RequirePositive(CommandTimeout, nameof(CommandTimeout));
        RequirePositive(RequestTimeout, nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(CommandTimeout, MaxTimeout, nameof(CommandTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RequestTimeout, MaxTimeout, nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(HeartbeatInterval, MaxTimeout, nameof(HeartbeatInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(OutboxCapacity, 1, nameof(OutboxCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(StreamBufferCapacity, 1, nameof(StreamBufferCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentCommands, 1, nameof(MaxConcurrentCommands));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingCommands, MaxConcurrentCommands, nameof(MaxPendingCommands));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageBytes, 1024, nameof(MaxMessageBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(KeepAliveInterval, TimeSpan.Zero, nameof(KeepAliveInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(StableConnectionThreshold, TimeSpan.Zero, nameof(StableConnectionThreshold));
        if (AuthFailureRetryDelay is { } retry)
        {
            RequirePositive(retry, nameof(AuthFailureRetryDelay));
        }
    }

    private static void RequirePositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
        }
    }
}
