using System.Net;

using Meowstik.Protocol;

namespace Meowstik.Agent;

/// <summary>
/// Configures a <see cref="MeshAgent"/>. Only <see cref="HubUri"/>, <see cref="DeviceId"/> and a token (<see cref="Token"/> or
/// <see cref="TokenProvider"/>) are required; every other setting has a documented default.
/// </summary>
/// <remarks>
/// <para>Hosted agents bind these options from the <see cref="SectionName"/> section (<c>Meowstik:Agent</c>): each key is the
/// property's name (<c>Meowstik:Agent:HubUri</c>, <c>Meowstik:Agent:Reconnect:MaxDelay</c>, <c>Meowstik:Agent:Tls:PinnedPublicKeySha256:0</c>).
/// A key that names no setting is a start-up error.</para>
/// <para>A few settings are objects or callbacks and can only be set in code: <see cref="TokenProvider"/>, <see cref="ReconnectPolicy"/>,
/// <see cref="Proxy"/>, and <see cref="MeshAgentTlsOptions.TrustedCertificateAuthorities"/>, <see cref="MeshAgentTlsOptions.ClientCertificates"/>
/// and <see cref="MeshAgentTlsOptions.RemoteCertificateValidation"/> under <see cref="Tls"/>.</para>
/// </remarks>
public sealed class MeshAgentOptions
{
    /// <summary>The configuration section a hosted agent's options are read from: <c>Meowstik:Agent</c>.</summary>
    public const string SectionName = "Meowstik:Agent";

    /// <summary>
    /// The hub's WebSocket endpoint (<c>ws://</c> or <c>wss://</c>), e.g. <c>wss://hub.example/ws/mesh</c>. Required: there is no
    /// default hub, so a missing or misspelt setting stops the agent at start instead of sending the device's token to some
    /// address it was never meant for. See <see cref="MeshPaths"/> for the per-kind paths.
    /// </summary>
    public Uri? HubUri { get; set; }

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

    /// <summary>The exponential backoff between reconnect attempts (full jitter, 1 s initial ceiling, 60 s cap), used unless
    /// <see cref="ReconnectPolicy"/> is set.</summary>
    public MeshAgentReconnectOptions Reconnect { get; } = new();

    /// <summary>A custom reconnect strategy that replaces <see cref="Reconnect"/>. Default: null (exponential backoff from
    /// <see cref="Reconnect"/>). Code only.</summary>
    public IReconnectPolicy? ReconnectPolicy { get; set; }

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

    /// <summary>
    /// Announce the <c>binary_streams</c> extension and, when the hub accepts it, send stream chunks as binary frames
    /// (raw bytes after a JSON header) instead of base64 JSON: a third fewer bytes and no encoding pass. Default: true.
    /// </summary>
    public bool BinaryStreams { get; set; } = true;

    /// <summary>Items buffered per <see cref="MeshAgent.SubscribeEvents"/> / <see cref="MeshAgent.SubscribeStream"/> subscription
    /// before the oldest is dropped (counted in <see cref="MeshSubscription{T}.Dropped"/>). Default: 1024.</summary>
    public int SubscriptionCapacity { get; set; } = 1024;

    /// <summary>Commands/queries handled at the same time. Default: 8.</summary>
    public int MaxConcurrentCommands { get; set; } = 8;

    /// <summary>Commands/queries accepted (running or waiting for a slot) before new ones get an <c>overloaded</c> error. Default: 256.</summary>
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

    /// <summary>
    /// For an agent run by <c>AddMeowstikAgent</c>: stop the application when the hub rejects the token and no
    /// <see cref="AuthFailureRetryDelay"/> is set (the hosted service fails, so the host's
    /// <c>BackgroundServiceExceptionBehavior.StopHost</c> stops it). False keeps the application running with the agent in
    /// <see cref="AgentState.AuthFailed"/>. Default: true.
    /// </summary>
    public bool StopApplicationOnAuthFailure { get; set; } = true;

    /// <summary>The HTTP proxy for the WebSocket connection. Default: null (the system default proxy). Code only.</summary>
    public IWebProxy? Proxy { get; set; }

    /// <summary>Extra HTTP headers on the WebSocket upgrade request. Default: empty.</summary>
    public IDictionary<string, string> RequestHeaders { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Checks the options and throws a clear error for the first invalid one; the message names the
    /// configuration key to fix (<c>Meowstik:Agent:HubUri</c>).</summary>
    /// <exception cref="ArgumentException">A setting is invalid (<see cref="ArgumentException.ParamName"/> is the option's name).</exception>
    public void Validate()
    {
        foreach (MeshAgentOptionError error in FindErrors(SectionName))
        {
            throw error.ToException();
        }
    }

    /// <summary>Every invalid setting, in declaration order; each message starts with its key under <paramref name="sectionPath"/>.</summary>
    internal IEnumerable<MeshAgentOptionError> FindErrors(string sectionPath)
    {
        string Key(string name) => sectionPath.Length == 0 ? name : sectionPath + ":" + name;

        if (HubUri is null)
        {
            yield return new(nameof(HubUri), $"{Key(nameof(HubUri))} is not set: set it to the hub's ws:// or wss:// endpoint, e.g. wss://hub.example/ws/mesh (there is no default hub).");
        }
        else if (!HubUri.IsAbsoluteUri || (HubUri.Scheme != "ws" && HubUri.Scheme != "wss"))
        {
            yield return new(nameof(HubUri), $"{Key(nameof(HubUri))} '{HubUri}' is invalid: use an absolute ws:// or wss:// URI.");
        }

        if (!Meowstik.Protocol.DeviceId.IsValid(DeviceId.AsSpan()) || Meowstik.Protocol.DeviceId.IsReserved(DeviceId.AsSpan()))
        {
            yield return new(nameof(DeviceId), DeviceId.Length == 0
                ? $"{Key(nameof(DeviceId))} is not set: use 1-64 of [A-Za-z0-9._-], not 'hub' or 'broadcast'."
                : $"{Key(nameof(DeviceId))} '{DeviceId}' is invalid: use 1-64 of [A-Za-z0-9._-], not 'hub' or 'broadcast'.");
        }

        if (string.IsNullOrEmpty(Token) && TokenProvider is null)
        {
            yield return new(nameof(Token), $"{Key(nameof(Token))} is not set: the hub requires a device token (or set MeshAgentOptions.TokenProvider in code).");
        }

        for (int i = 0; i < Tls.TrustedCertificateAuthorityFiles.Count; i++)
        {
            string file = Tls.TrustedCertificateAuthorityFiles[i];
            if (!File.Exists(file))
            {
                yield return new(nameof(Tls), $"{Key($"Tls:TrustedCertificateAuthorityFiles:{i}")} '{file}' does not exist (a PEM or DER certificate file).", file);
            }
        }

        if (string.IsNullOrWhiteSpace(DeviceType))
        {
            yield return new(nameof(DeviceType), $"{Key(nameof(DeviceType))} must not be empty.");
        }

        TimeSpan initial = Reconnect.InitialDelay, max = Reconnect.MaxDelay;
        if (initial <= TimeSpan.Zero || max < initial || max > MaxTimeout)
        {
            yield return new(nameof(Reconnect), $"{Key("Reconnect:InitialDelay")} and {Key("Reconnect:MaxDelay")} must satisfy 0 < InitialDelay <= MaxDelay <= {MaxTimeout} (they are {initial} and {max}).", Reconnect, OutOfRange: true);
        }

        foreach ((TimeSpan value, string name) in new[]
        {
            (HeartbeatInterval, nameof(HeartbeatInterval)),
            (ConnectTimeout, nameof(ConnectTimeout)),
            (RegistrationTimeout, nameof(RegistrationTimeout)),
            (CommandTimeout, nameof(CommandTimeout)),
            (RequestTimeout, nameof(RequestTimeout)),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                yield return new(name, $"{Key(name)} must be positive (it is {value}).", value, OutOfRange: true);
            }
        }

        foreach ((TimeSpan value, string name) in new[]
        {
            (CommandTimeout, nameof(CommandTimeout)),
            (RequestTimeout, nameof(RequestTimeout)),
            (HeartbeatInterval, nameof(HeartbeatInterval)),
        })
        {
            if (value > MaxTimeout)
            {
                yield return new(name, $"{Key(name)} must be at most {MaxTimeout} (it is {value}).", value, OutOfRange: true);
            }
        }

        foreach ((int value, int min, string name) in new[]
        {
            (OutboxCapacity, 1, nameof(OutboxCapacity)),
            (StreamBufferCapacity, 1, nameof(StreamBufferCapacity)),
            (SubscriptionCapacity, 1, nameof(SubscriptionCapacity)),
            (MaxConcurrentCommands, 1, nameof(MaxConcurrentCommands)),
            (MaxPendingCommands, MaxConcurrentCommands, nameof(MaxPendingCommands)),
            (MaxMessageBytes, 1024, nameof(MaxMessageBytes)),
        })
        {
            if (value < min)
            {
                string bound = name == nameof(MaxPendingCommands) ? $"{min} ({Key(nameof(MaxConcurrentCommands))})" : min.ToString(System.Globalization.CultureInfo.InvariantCulture);
                yield return new(name, $"{Key(name)} must be at least {bound} (it is {value}).", value, OutOfRange: true);
            }
        }

        if (KeepAliveInterval < TimeSpan.Zero)
        {
            yield return new(nameof(KeepAliveInterval), $"{Key(nameof(KeepAliveInterval))} must not be negative (it is {KeepAliveInterval}).", KeepAliveInterval, OutOfRange: true);
        }

        if (StableConnectionThreshold < TimeSpan.Zero)
        {
            yield return new(nameof(StableConnectionThreshold), $"{Key(nameof(StableConnectionThreshold))} must not be negative (it is {StableConnectionThreshold}).", StableConnectionThreshold, OutOfRange: true);
        }

        if (AuthFailureRetryDelay is { } retry && retry <= TimeSpan.Zero)
        {
            yield return new(nameof(AuthFailureRetryDelay), $"{Key(nameof(AuthFailureRetryDelay))} must be positive when set (it is {retry}).", retry, OutOfRange: true);
        }
    }

    /// <summary>The reconnect strategy in effect: <see cref="ReconnectPolicy"/>, or exponential backoff from <see cref="Reconnect"/>.</summary>
    internal IReconnectPolicy CreateReconnectPolicy() =>
        ReconnectPolicy ?? new ExponentialBackoffPolicy { InitialDelay = Reconnect.InitialDelay, MaxDelay = Reconnect.MaxDelay };
}
