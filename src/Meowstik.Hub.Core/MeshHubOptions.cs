
namespace Meowstik.Hub.Core;

/// <summary>
/// Settings of a <see cref="MeshHub"/>. Every property has a documented default that suits a single-node hub
/// serving a household's devices; tests shorten the timings.
/// </summary>
public sealed class MeshHubOptions
{
    /// <summary>How long a new connection may take to send its <c>register</c> message before it is closed with 1008. Default 10 s.</summary>
    public TimeSpan RegistrationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The heartbeat interval announced to devices in the registration reply. Default 30 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Missed intervals (with no traffic at all) after which a device is marked offline and closed with 4005. Default 3 (90 s).</summary>
    public int MissedHeartbeatsBeforeOffline { get; set; } = 3;

    /// <summary>Whether the hub answers each device heartbeat with its own heartbeat, so agents can see the hub is alive. Default true.</summary>
    public bool EchoHeartbeats { get; set; } = true;

    /// <summary>How long a command or query waits for its response before the requester gets a <c>timeout</c> error. Default 30 s.</summary>
    public TimeSpan DefaultRequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound for a per-message <c>payload.timeout_ms</c> override. Default 10 min.</summary>
    public TimeSpan MaxRequestTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Largest accepted message in bytes. Default 1 MiB (1,048,576).</summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Most simultaneous connections; further connections are closed with 1013. Default 10,000.</summary>
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>Most pending requests from connections across the hub; beyond it requesters get <c>overloaded</c>. The host API's own requests are not counted, so a flood from devices can never lock the application out. Default 100,000.</summary>
    public int MaxPendingRequests { get; set; } = 100_000;

    /// <summary>Most pending requests (commands/queries awaiting a response) one connection may have; beyond it it gets <c>overloaded</c>. Default 1,000.</summary>
    public int MaxPendingRequestsPerConnection { get; set; } = 1_000;

    /// <summary>Most pending requests all connections of one token may have together; beyond it they get <c>overloaded</c>. Default 4,000.</summary>
    public int MaxPendingRequestsPerToken { get; set; } = 4_000;

    /// <summary>Most registered connections one token may hold at once; a further registration is refused (1013). Default 16.</summary>
    public int MaxConnectionsPerToken { get; set; } = 16;

    /// <summary>
    /// Most open connections (registered or not) from one remote address; further ones are refused (1013). Behind a reverse
    /// proxy every client shares the proxy's address unless forwarded headers are configured (see docs/security.md). Default 256.
    /// </summary>
    public int MaxConnectionsPerAddress { get; set; } = 256;

    /// <summary>
    /// Most connections that have not registered yet, across the hub (a small pre-authentication pool, so unauthenticated
    /// sockets can never take the places of real devices under <see cref="MaxConnections"/>). Default 1,024.
    /// </summary>
    public int MaxUnauthenticatedConnections { get; set; } = 1_024;

    /// <summary>Most not-yet-registered connections from one remote address (a household behind one NAT reconnecting after a hub restart fits). Default 64.</summary>
    public int MaxUnauthenticatedConnectionsPerAddress { get; set; } = 64;

    /// <summary>
    /// Largest message accepted before registration (the register message, with its capability manifest); larger ones close
    /// the connection (1009). An unauthenticated socket can never make the hub buffer more than this. Default 64 KiB.
    /// </summary>
    public int MaxRegistrationBytes { get; set; } = 64 * 1024;

    /// <summary>Most stream subscriptions (<c>subscribe_stream</c>) one connection may hold; beyond it it gets <c>overloaded</c>. Default 64.</summary>
    public int MaxStreamSubscriptionsPerConnection { get; set; } = 64;

    /// <summary>
    /// The byte budget of one connection's outbound queue of control messages (everything but stream chunks). When routing a
    /// message pushes a recipient above it, the hub stops reading from the connection that sent it until the recipient drains
    /// to half of it: backpressure reaches fast senders through TCP, and a reading device is never closed for being sent a
    /// burst. Default 4 MiB.
    /// </summary>
    public long OutboundBufferBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// The hard cap of one connection's outbound backlog in bytes (like nats-server's <c>max_pending</c>). Flow control keeps a
    /// queue near <see cref="OutboundBufferBytes"/>; only many senders at once or host-side bursts can pass this, and the
    /// connection is then closed as a slow consumer (1013, counted in <c>meowstik.hub.slow_consumers</c> with
    /// <c>rule=max_pending</c>, audited). Default 64 MiB.
    /// </summary>
    public long MaxPendingBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// How long one write to a connection may make no progress before the connection is closed as a slow consumer (1013,
    /// <c>rule=write_deadline</c>; like nats-server's <c>write_deadline</c>). A client that reads, however slowly, is not
    /// closed. Default 10 s.
    /// </summary>
    public TimeSpan WriteDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Audio stream chunks that may wait per subscriber before older ones are dropped (counted). Default 64.</summary>
    public int AudioQueueCapacity { get; set; } = 64;

    /// <summary>Sustained messages per second one connection may send (token bucket refill rate). Default 200.</summary>
    public double RateLimitPerSecond { get; set; } = 200;

    /// <summary>Burst size of the per-connection token bucket. Default 400.</summary>
    public int RateLimitBurst { get; set; } = 400;

    /// <summary>
    /// Protocol violations (malformed, oversized, unknown type, rate limited, spoofed <c>from</c>…) tolerated within
    /// <see cref="ViolationWindow"/>; one more closes the connection (1008, or 1009/1007 for size/encoding). Default 10.
    /// </summary>
    public int MaxViolations { get; set; } = 10;

    /// <summary>The window over which <see cref="MaxViolations"/> counts. Default 1 min.</summary>
    public TimeSpan ViolationWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a close handshake may take before the socket is aborted. Default 2 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Resolution of the hub's single deadline timer (heartbeats, registration, request timeouts). Default 100 ms.</summary>
    public TimeSpan TimerResolution { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Whether every delivered message gets an audit row (rejections and auth decisions are always audited). Default true.</summary>
    public bool AuditDeliveredMessages { get; set; } = true;

    /// <summary>
    /// Bytes of last-known state (heartbeat, last response per action, last event per name) the embedded state store keeps
    /// per device; values past it are not recorded (counted). Only devices have state: family and guest clients never do.
    /// Default 256 KiB.
    /// </summary>
    public int MaxStateBytesPerDevice { get; set; } = 256 * 1024;

    /// <summary>Events buffered per host subscriber (<see cref="MeshHub.SubscribeEvents"/>) before the oldest is dropped (counted). Default 1,024.</summary>
    public int HostSubscriberQueueCapacity { get; set; } = 1024;

    /// <summary>
    /// The SQLite file holding tokens, catch phrases and the audit trail, used when the hub is composed with its embedded stores
    /// (<see cref="MeshHub.CreateAsync"/>, <c>AddMeowstikHub</c>). Default <c>meowstik-hub.db</c> in the working directory.
    /// </summary>
    public string DatabasePath { get; set; } = "meowstik-hub.db";

    /// <summary>Token lifetimes and catch-phrase settings for the embedded auth manager.</summary>
    public AuthOptions Auth { get; set; } = new();

    /// <summary>Queue, batch and retention settings for the embedded audit writer.</summary>
    public AuditOptions Audit { get; set; } = new();

    /// <summary>
    /// How often the hosting integration reloads the token store, so tokens issued or revoked by another process (for example
    /// the <c>HubHost token</c> command) take effect without a restart; revoked ones close their live connections.
    /// Default 10 s; <see cref="TimeSpan.Zero"/> disables reloading.
    /// </summary>
    public TimeSpan TokenRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        Positive(RegistrationTimeout, nameof(RegistrationTimeout));
        Positive(HeartbeatInterval, nameof(HeartbeatInterval));
        Positive(DefaultRequestTimeout, nameof(DefaultRequestTimeout));
        Positive(MaxRequestTimeout, nameof(MaxRequestTimeout));
        Positive(ViolationWindow, nameof(ViolationWindow));
        Positive(CloseTimeout, nameof(CloseTimeout));
        Positive(TimerResolution, nameof(TimerResolution));
        if (TokenRefreshInterval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(TokenRefreshInterval), TokenRefreshInterval, "Must not be negative.");
        ArgumentOutOfRangeException.ThrowIfLessThan(MissedHeartbeatsBeforeOffline, 1, nameof(MissedHeartbeatsBeforeOffline));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageBytes, 256, nameof(MaxMessageBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnections, 1, nameof(MaxConnections));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingRequests, 1, nameof(MaxPendingRequests));
        Positive(WriteDeadline, nameof(WriteDeadline));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingRequestsPerConnection, 1, nameof(MaxPendingRequestsPerConnection));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingRequestsPerToken, 1, nameof(MaxPendingRequestsPerToken));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnectionsPerToken, 1, nameof(MaxConnectionsPerToken));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnectionsPerAddress, 1, nameof(MaxConnectionsPerAddress));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxUnauthenticatedConnections, 1, nameof(MaxUnauthenticatedConnections));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxUnauthenticatedConnectionsPerAddress, 1, nameof(MaxUnauthenticatedConnectionsPerAddress));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRegistrationBytes, 256, nameof(MaxRegistrationBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStreamSubscriptionsPerConnection, 1, nameof(MaxStreamSubscriptionsPerConnection));
        ArgumentOutOfRangeException.ThrowIfLessThan(OutboundBufferBytes, 1024, nameof(OutboundBufferBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingBytes, OutboundBufferBytes, nameof(MaxPendingBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(AudioQueueCapacity, 1, nameof(AudioQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(RateLimitBurst, 1, nameof(RateLimitBurst));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxViolations, 0, nameof(MaxViolations));
        ArgumentOutOfRangeException.ThrowIfLessThan(HostSubscriberQueueCapacity, 1, nameof(HostSubscriberQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStateBytesPerDevice, 1024, nameof(MaxStateBytesPerDevice));
        if (!(RateLimitPerSecond > 0)) throw new ArgumentOutOfRangeException(nameof(RateLimitPerSecond), RateLimitPerSecond, "Must be positive.");
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
    }
}
