using System.Globalization;

namespace Meowstik.Hub.Core;

/// <summary>
/// Settings of a <see cref="MeshHub"/>. Every property has a documented default that suits a single-node hub
/// serving a household's devices; tests shorten the timings.
/// </summary>
/// <remarks>
/// In ASP.NET Core hosts every setting can come from configuration, section <see cref="SectionName"/>
/// (<c>Meowstik:Hub:HeartbeatInterval</c>, <c>Meowstik:Hub:Audit:BatchSize</c>, environment <c>Meowstik__Hub__RateLimitBurst</c>…):
/// <c>services.AddMeowstikHub(configuration.GetSection(MeshHubOptions.SectionName))</c>. Time spans are written
/// <c>hh:mm:ss</c> (or <c>d.hh:mm:ss</c>).
/// </remarks>
public sealed class MeshHubOptions
{
    /// <summary>The configuration section the hub's settings are read from: <c>Meowstik:Hub</c>.</summary>
    public const string SectionName = "Meowstik:Hub";

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

    /// <summary>
    /// Every setting out of range, this object's and <see cref="Auth"/>'s and <see cref="Audit"/>'s, one message each,
    /// starting with the setting's configuration key relative to <see cref="SectionName"/> (for example
    /// <c>RateLimitBurst must be at least 1 (was 0).</c> or <c>Audit:BatchSize …</c>). Empty when every setting is valid.
    /// </summary>
    public IReadOnlyList<string> GetValidationErrors()
    {
        var errors = new OptionErrors();
        AddValidationErrors(errors);
        return errors.Messages;
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming every setting out of range (see <see cref="GetValidationErrors"/>).</summary>
    public void Validate()
    {
        var errors = new OptionErrors();
        AddValidationErrors(errors);
        errors.ThrowIfAny();
    }

    private void AddValidationErrors(OptionErrors e)
    {
        e.Positive(RegistrationTimeout, nameof(RegistrationTimeout));
        e.Positive(HeartbeatInterval, nameof(HeartbeatInterval));
        e.AtLeast(MissedHeartbeatsBeforeOffline, 1, nameof(MissedHeartbeatsBeforeOffline));
        e.Positive(DefaultRequestTimeout, nameof(DefaultRequestTimeout));
        e.Positive(MaxRequestTimeout, nameof(MaxRequestTimeout));
        e.AtLeast(MaxRequestTimeout, DefaultRequestTimeout, nameof(MaxRequestTimeout), nameof(DefaultRequestTimeout));
        e.AtLeast(MaxMessageBytes, 256, nameof(MaxMessageBytes));
        e.AtLeast(MaxConnections, 1, nameof(MaxConnections));
        e.AtLeast(MaxPendingRequests, 1, nameof(MaxPendingRequests));
        e.AtLeast(MaxPendingRequestsPerConnection, 1, nameof(MaxPendingRequestsPerConnection));
        e.AtLeast(MaxPendingRequestsPerToken, 1, nameof(MaxPendingRequestsPerToken));
        e.AtLeast(MaxConnectionsPerToken, 1, nameof(MaxConnectionsPerToken));
        e.AtLeast(MaxConnectionsPerAddress, 1, nameof(MaxConnectionsPerAddress));
        e.AtLeast(MaxUnauthenticatedConnections, 1, nameof(MaxUnauthenticatedConnections));
        e.AtLeast(MaxUnauthenticatedConnectionsPerAddress, 1, nameof(MaxUnauthenticatedConnectionsPerAddress));
        e.AtLeast(MaxRegistrationBytes, 256, nameof(MaxRegistrationBytes));
        e.AtLeast(MaxStreamSubscriptionsPerConnection, 1, nameof(MaxStreamSubscriptionsPerConnection));
        e.AtLeast(OutboundBufferBytes, 1024, nameof(OutboundBufferBytes));
        e.AtLeast(MaxPendingBytes, OutboundBufferBytes, nameof(MaxPendingBytes), nameof(OutboundBufferBytes));
        e.Positive(WriteDeadline, nameof(WriteDeadline));
        e.AtLeast(AudioQueueCapacity, 1, nameof(AudioQueueCapacity));
        e.Positive(RateLimitPerSecond, nameof(RateLimitPerSecond));
        e.AtLeast(RateLimitBurst, 1, nameof(RateLimitBurst));
        e.AtLeast(MaxViolations, 0, nameof(MaxViolations));
        e.Positive(ViolationWindow, nameof(ViolationWindow));
        e.Positive(CloseTimeout, nameof(CloseTimeout));
        e.Positive(TimerResolution, nameof(TimerResolution));
        e.AtLeast(MaxStateBytesPerDevice, 1024, nameof(MaxStateBytesPerDevice));
        e.AtLeast(HostSubscriberQueueCapacity, 1, nameof(HostSubscriberQueueCapacity));
        e.NotNegative(TokenRefreshInterval, nameof(TokenRefreshInterval));
        if (Auth is null) e.Fail(nameof(Auth), "must be set.");
        else Auth.AddValidationErrors(e.Nested(nameof(Auth)));
        if (Audit is null) e.Fail(nameof(Audit), "must be set.");
        else Audit.AddValidationErrors(e.Nested(nameof(Audit)));
    }
}

/// <summary>Collects out-of-range settings as "Key message" lines, nested keys joined with ':' as in configuration.</summary>
internal sealed class OptionErrors
{
    private readonly List<(string Key, string Message)> _items;
    private readonly string _prefix;

    public OptionErrors()
        : this([], "")
    {
    }

    private OptionErrors(List<(string Key, string Message)> items, string prefix)
    {
        _items = items;
        _prefix = prefix;
    }

    public IReadOnlyList<string> Messages => [.. _items.Select(static i => i.Key + " " + i.Message)];

    public OptionErrors Nested(string name) => new(_items, _prefix + name + ":");

    public void Fail(string name, string message) => _items.Add((_prefix + name, message));

    public void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero) Fail(name, $"must be positive (was {Format(value)}).");
    }

    public void NotNegative(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero) Fail(name, $"must not be negative (was {Format(value)}).");
    }

    public void Positive(double value, string name)
    {
        if (!(value > 0)) Fail(name, $"must be positive (was {value.ToString(CultureInfo.InvariantCulture)}).");
    }

    public void AtLeast(long value, long minimum, string name)
    {
        if (value < minimum) Fail(name, $"must be at least {minimum.ToString(CultureInfo.InvariantCulture)} (was {value.ToString(CultureInfo.InvariantCulture)}).");
    }

    public void AtLeast(long value, long minimum, string name, string minimumName)
    {
        if (value < minimum) Fail(name, $"must be at least {_prefix}{minimumName} ({minimum.ToString(CultureInfo.InvariantCulture)}) (was {value.ToString(CultureInfo.InvariantCulture)}).");
    }

    public void AtLeast(TimeSpan value, TimeSpan minimum, string name, string minimumName)
    {
        if (value < minimum) Fail(name, $"must be at least {_prefix}{minimumName} ({Format(minimum)}) (was {Format(value)}).");
    }

    /// <summary>Throws for every collected problem at once; the parameter name is the first key.</summary>
    public void ThrowIfAny()
    {
        if (_items.Count == 0) return;
        throw new ArgumentOutOfRangeException(_items[0].Key, string.Join(" ", Messages));
    }

    private static string Format(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
