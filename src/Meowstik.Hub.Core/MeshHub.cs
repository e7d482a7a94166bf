using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using System.Text.Json;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Hub.Core;

/// <summary>
/// The mesh hub: every device connects to it over a WebSocket, registers, and is routed to (commands, queries, responses,
/// events, streams, heartbeats). Host it anywhere by handing accepted sockets to <see cref="HandleConnectionAsync(WebSocket, MeshConnectionInfo, CancellationToken)"/> (or the transport stream: <see cref="HandleConnectionAsync(Stream, MeshConnectionInfo, CancellationToken)"/>)
/// (Kestrel via <c>Meowstik.Hub.AspNetCore</c>, <c>HttpListener</c>, or <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>
/// over your own TCP/TLS stream). The embedding application commands devices in-process through the host API
/// (<see cref="SendCommandAsync(string, string, JsonElement?, TimeSpan?, CancellationToken)"/>, <see cref="SubscribeEvents"/>…).
/// </summary>
/// <example>
/// <code>
/// // In memory (tests, a hub whose tokens need not survive a restart); Meowstik.Hub.Sqlite's SqliteMeshHub.CreateAsync keeps them in a file.
/// await using MeshHub hub = await MeshHub.CreateAsync(MeshHubStores.InMemory(), new MeshHubOptions());
/// IssuedToken token = await hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = "Desktop", DeviceId = "desktop-001" });
/// // for each accepted WebSocket:
/// await hub.HandleConnectionAsync(socket, new MeshConnectionInfo(remoteAddress), cancellationToken);
/// // from the application:
/// MeshReply answer = await hub.QueryAsync("desktop-001", "status");
/// </code>
/// </example>
public sealed partial class MeshHub : IAsyncDisposable
{
    private readonly Lock _connectionsLock = new();
    private readonly HashSet<MeshConnection> _connections = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly IAsyncDisposable? _ownedResources;
    private readonly RefusalLog _refusals;
    private readonly ITimer _writeDeadlineSweep;
    private TaskCompletionSource? _drained;
    private Task? _stopTask;
    private int _disposed;

    /// <summary>Creates a hub over an auth manager and optional components (each with an embedded default).</summary>
    /// <param name="auth">Authenticates tokens and authorizes every message.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="audit">Receives an audit record per message and auth decision; none when null.</param>
    /// <param name="state">Last-known device state; <see cref="InMemoryStateStore"/> when null.</param>
    /// <param name="backplane">Scale-out seam; <see cref="NullBackplane"/> (single node) when null.</param>
    /// <param name="timeProvider">The clock for every deadline; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="loggerFactory">Logging; silent when null.</param>
    /// <param name="meterFactory">Creates the <c>Meowstik.Hub</c> meter; a standalone meter when null.</param>
    /// <param name="catchPhrases">Family catch phrases (<see cref="ExchangeCatchPhraseAsync"/>); none when null.</param>
    public MeshHub(
        AuthManager auth,
        MeshHubOptions? options = null,
        IAuditSink? audit = null,
        IStateStore? state = null,
        IMeshBackplane? backplane = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null,
        CatchPhraseRegistry? catchPhrases = null)
        : this(auth, options, audit, state, backplane, timeProvider, loggerFactory, meterFactory, catchPhrases, ownedResources: null)
    {
    }

    private MeshHub(
        AuthManager auth,
        MeshHubOptions? options,
        IAuditSink? audit,
        IStateStore? state,
        IMeshBackplane? backplane,
        TimeProvider? timeProvider,
        ILoggerFactory? loggerFactory,
        IMeterFactory? meterFactory,
        CatchPhraseRegistry? catchPhrases,
        IAsyncDisposable? ownedResources)
    {
        ArgumentNullException.ThrowIfNull(auth);
        Options = options ?? new MeshHubOptions();
        Options.Validate();
        Auth = auth;
        Audit = audit;
        CatchPhrases = catchPhrases;
        State = state ?? new InMemoryStateStore(Options.MaxStateBytesPerDevice);
        Backplane = backplane ?? NullBackplane.Instance;
        Time = timeProvider ?? TimeProvider.System;
        StartedAt = Time.GetUtcNow();
        Logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<MeshHub>();
        Limits = new ProtocolLimits { MaxMessageBytes = Options.MaxMessageBytes };

        // The composition root: each part gets only the collaborators it uses.
        Metrics = new HubMetrics(meterFactory, () => Registry.Count, () => ConnectionCount);
        Wheel = new TimerWheel(Time, Options.TimerResolution, Logger);
        Correlation = new CorrelationTable(Wheel, Options.MaxPendingRequests, Options.MaxPendingRequestsPerConnection, Options.MaxPendingRequestsPerToken, OnRequestTimeout);
        Events = new EventFeed(Metrics, Options.HostSubscriberQueueCapacity);
        var stamper = new EnvelopeStamper(Time);
        Outcomes = new DeliveryOutcomes(Metrics, Audit, Options, Time, Logger, Backplane, State, stamper);
        Streams = new StreamManager(Options, Limits, Registry, Auth, Time, Metrics, Logger, Outcomes, stamper);
        Requests = new RequestRouter(Registry, Correlation, Auth, State, Options, Time, Names, Metrics, Outcomes, stamper);
        EventRouter = new EventRouter(Registry, Auth, State, Events, Time, Metrics, Outcomes, stamper);
        HubActions = new HubActions(Auth, State, Streams, Options, Time, Outcomes);
        var heartbeats = new HeartbeatResponder(Auth, State, Time, StartedAt, Options, Outcomes);
        Router = new MessageRouter(Limits, Outcomes, heartbeats, Requests, HubActions, EventRouter, Streams);
        Admission = new ConnectionAdmission(Options);
        Registrar = new Registrar(Auth, Admission, Registry, State, Backplane, EventRouter, Options, Limits, Time, Metrics, Audit, Logger);
        _refusals = new RefusalLog(Logger, Time, Audit);
        // One sweep for every connection's write deadline (a quarter of it, at most once a second), instead of a timer per write.
        TimeSpan sweep = TimeSpan.FromTicks(Math.Min(Options.WriteDeadline.Ticks / 4, TimeSpan.TicksPerSecond));
        _writeDeadlineSweep = Time.CreateTimer(static s => ((MeshHub)s!).SweepWriteDeadlines(), this, sweep, sweep);
        _ownedResources = ownedResources;
        Auth.TokenRevoked += OnTokenRevoked;
        Backplane.Attach(new BackplaneDelivery(Registry));
    }

    /// <summary>The effective settings.</summary>
    public MeshHubOptions Options { get; }

    /// <summary>The auth manager (tokens, roles, revocation).</summary>
    public AuthManager Auth { get; }

    /// <summary>Family catch phrases, when configured.</summary>
    public CatchPhraseRegistry? CatchPhrases { get; }

    /// <summary>The audit sink, when one was given.</summary>
    public IAuditSink? Audit { get; }

    /// <summary>The state store.</summary>
    public IStateStore State { get; }

    /// <summary>The backplane seam.</summary>
    public IMeshBackplane Backplane { get; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>When the hub started.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Open connections (registered or still registering).</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_connectionsLock) return _connections.Count;
        }
    }

    /// <summary>Devices registered on this node right now.</summary>
    public int ConnectedDeviceCount => Registry.Count;

    /// <summary>Commands and queries awaiting a response.</summary>
    public int PendingRequestCount => Correlation.Count;

    /// <summary>Total messages dropped or rejected since start (all reasons; per-reason figures are on the <c>Meowstik.Hub</c> meter).</summary>
    public long DroppedMessageCount => Metrics.DropCount;

    /// <summary>Stream chunks/frames missing by index since start (per source and stream type; also on the <c>meowstik.hub.streams.gaps</c> counter).</summary>
    public long StreamGapCount => Streams.GapCount;

    internal DeliveryOutcomes Outcomes { get; }

    internal RequestRouter Requests { get; }

    internal EventRouter EventRouter { get; }

    internal ILogger Logger { get; }

    internal ProtocolLimits Limits { get; }

    internal HubMetrics Metrics { get; }

    internal TimerWheel Wheel { get; }

    internal DeviceRegistry Registry { get; } = new();

    internal CorrelationTable Correlation { get; }

    internal NameCache Names { get; } = new();

    internal EventFeed Events { get; }

    internal StreamManager Streams { get; }

    internal MessageRouter Router { get; }

    internal Registrar Registrar { get; }

    internal ConnectionAdmission Admission { get; }

    internal HubActions HubActions { get; }

    /// <summary>
    /// Creates a hub over <paramref name="stores"/> (tokens, catch phrases, audit) with in-memory state and a single-node
    /// backplane, loads the token cache, and takes ownership of the stores: disposing the hub disposes them.
    /// <see cref="MeshHubStores.InMemory"/> keeps everything in memory (tests, demos); <c>SqliteMeshHub.CreateAsync</c> in
    /// <c>Meowstik.Hub.Sqlite</c> creates a hub over one SQLite file.
    /// </summary>
    /// <param name="stores">The stores; owned by the hub from now on (disposed too if creating the hub fails).</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="loggerFactory">Logging; silent when null.</param>
    /// <param name="meterFactory">Creates the meters; standalone meters when null.</param>
    /// <param name="cancellationToken">Stops loading the token cache.</param>
    public static async Task<MeshHub> CreateAsync(
        MeshHubStores stores,
        MeshHubOptions? options = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stores);
        options ??= new MeshHubOptions();
        OwnedStores owned = await OwnedStores.OpenAsync(stores, options, timeProvider, loggerFactory, meterFactory, cancellationToken).ConfigureAwait(false);
        return new MeshHub(owned.Auth, options, stores.Audit, null, null, timeProvider, loggerFactory, meterFactory, owned.CatchPhrases, owned);
    }

    /// <summary>
    /// Serves one WebSocket until it closes: registration, routing, heartbeats. The task completes when the connection is
    /// gone; it does not throw for transport failures. Cancelling <paramref name="cancellationToken"/> closes the connection with 1001.
    /// The hub sends each message with one <see cref="WebSocket.SendAsync(ReadOnlyMemory{byte}, WebSocketMessageType, bool, CancellationToken)"/>;
    /// hand the hub the upgraded stream instead (<see cref="HandleConnectionAsync(Stream, MeshConnectionInfo, CancellationToken)"/>)
    /// and it writes bursts in batches, one socket write per batch.
    /// </summary>
    public Task HandleConnectionAsync(WebSocket socket, MeshConnectionInfo info, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(info);
        return ServeAsync(socket, info, frames: null, cancellationToken);
    }

    /// <summary>
    /// Serves one connection given as its transport stream, right after the WebSocket handshake (the <c>101 Switching
    /// Protocols</c> response is sent: Kestrel's <c>IHttpUpgradeFeature.UpgradeAsync()</c>, or your own TCP/TLS stream). The hub
    /// creates the server WebSocket over it (keep-alive pings every <see cref="MeshHubOptions.HeartbeatInterval"/>) and writes
    /// what is queued for the device in batches: many frames, one write and one flush. The stream is disposed when the
    /// connection ends. Otherwise as <see cref="HandleConnectionAsync(WebSocket, MeshConnectionInfo, CancellationToken)"/>.
    /// </summary>
    public async Task HandleConnectionAsync(Stream transport, MeshConnectionInfo info, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(info);
        var frames = new CoalescingStream(transport);
        using WebSocket socket = WebSocket.CreateFromStream(frames, new WebSocketCreationOptions
        {
            IsServer = true,
            KeepAliveInterval = Options.HeartbeatInterval,
        });
        await ServeAsync(socket, info, frames, cancellationToken).ConfigureAwait(false);
    }

    private async Task ServeAsync(WebSocket socket, MeshConnectionInfo info, CoalescingStream? frames, CancellationToken cancellationToken)
    {
        MeshConnection connection = CreateConnection(socket, info, frames);
        // A token presented at the upgrade (query or Authorization header) is checked now, so a device that shows one never
        // competes with tokenless sockets for the small pre-authentication pool.
        if (AuthManager.IsWellFormedSecret(info.Token))
        {
            AuthResult upgrade = await Auth.AuthenticateAsync(info.Token, info.RemoteAddress, cancellationToken).ConfigureAwait(false);
            if (upgrade.Succeeded) connection.UpgradeIdentity = upgrade.Identity;
        }
        bool authenticated = connection.UpgradeIdentity is not null;
        AdmissionResult admission = AdmissionResult.Admitted;
        bool accepted;
        lock (_connectionsLock)
        {
            accepted = _stopTask is null && _connections.Count < Options.MaxConnections;
            if (accepted)
            {
                admission = Admission.TryAdmit(connection, authenticated);
                accepted = admission == AdmissionResult.Admitted;
            }
            if (accepted) _connections.Add(connection);
        }
        if (!accepted)
        {
            Metrics.Dropped(DropReason.Overloaded);
            Metrics.ConnectionRefused(admission == AdmissionResult.Admitted ? "max_connections" : admission.ToName());
            _refusals.Record(admission == AdmissionResult.Admitted ? "max_connections" : admission.ToName(), info.RemoteAddress);
            await RefuseAsync(socket).ConfigureAwait(false);
            return;
        }
        await connection.RunAsync(cancellationToken, _stopping.Token).ConfigureAwait(false);
    }

    /// <summary>Sends a <c>command</c> to a device and waits for its response.</summary>
    /// <param name="deviceId">The target device.</param>
    /// <param name="action">The action, e.g. <c>screenshot</c>.</param>
    /// <param name="parameters">The <c>params</c> object; omitted when null.</param>
    /// <param name="timeout">How long to wait; <see cref="MeshHubOptions.DefaultRequestTimeout"/> when null.</param>
    /// <param name="cancellationToken">Stops waiting (the late response is then dropped).</param>
    /// <exception cref="MeshRequestException">Offline or unknown device, timeout, or an <c>error</c> answer.</exception>
    public Task<MeshReply> SendCommandAsync(string deviceId, string action, JsonElement? parameters = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RequestAsync(MessageType.Command, deviceId, action, ToUtf8(parameters), timeout, cancellationToken);

    /// <summary>Sends a <c>command</c> whose <c>params</c> is raw UTF-8 JSON (empty: omitted) and waits for its response.</summary>
    public Task<MeshReply> SendCommandAsync(string deviceId, string action, ReadOnlyMemory<byte> parametersUtf8Json, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RequestAsync(MessageType.Command, deviceId, action, parametersUtf8Json, timeout, cancellationToken);

    /// <summary>Sends a <c>query</c> to a device and waits for its response.</summary>
    /// <exception cref="MeshRequestException">Offline or unknown device, timeout, or an <c>error</c> answer.</exception>
    public Task<MeshReply> QueryAsync(string deviceId, string action, JsonElement? parameters = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RequestAsync(MessageType.Query, deviceId, action, ToUtf8(parameters), timeout, cancellationToken);

    /// <summary>Sends a <c>query</c> whose <c>params</c> is raw UTF-8 JSON (empty: omitted) and waits for its response.</summary>
    public Task<MeshReply> QueryAsync(string deviceId, string action, ReadOnlyMemory<byte> parametersUtf8Json, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RequestAsync(MessageType.Query, deviceId, action, parametersUtf8Json, timeout, cancellationToken);

    /// <summary>
    /// Sends a message from the hub to every registered device (<c>to: broadcast</c>); returns how many it was queued to.
    /// Responses to a broadcast command are not collected: use <see cref="SendCommandAsync(string, string, JsonElement?, TimeSpan?, CancellationToken)"/> per device for answers.
    /// </summary>
    /// <param name="type">The message type (<c>command</c>, <c>event</c>…).</param>
    /// <param name="payload">The payload object.</param>
    /// <param name="cancellationToken">Not used for queuing (which never waits); present for API symmetry.</param>
    public ValueTask<int> BroadcastAsync(MessageType type, JsonElement payload, CancellationToken cancellationToken = default) =>
        BroadcastAsync(type, ToUtf8(payload), cancellationToken);

    /// <summary>Broadcasts a message whose payload is raw UTF-8 JSON.</summary>
    public ValueTask<int> BroadcastAsync(MessageType type, ReadOnlyMemory<byte> payloadUtf8Json, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        if (type is MessageType.Unknown or MessageType.Register) throw new ArgumentOutOfRangeException(nameof(type), type, "Not a message the hub broadcasts.");
        return new ValueTask<int>(EventRouter.BroadcastFromHost(type, payloadUtf8Json.Span));
    }

    /// <summary>Subscribes to events (device events and the hub's <c>device_connected</c>/<c>device_offline</c>), optionally filtered.</summary>
    /// <param name="deviceId">Only events from (or about) this device; all when null.</param>
    /// <param name="eventName">Only events with this name; all when null.</param>
    public MeshSubscription<MeshEvent> SubscribeEvents(string? deviceId = null, string? eventName = null)
    {
        ThrowIfDisposed();
        return Events.Subscribe(deviceId, eventName);
    }

    /// <summary>Subscribes to a device's stream chunks of one type (<c>audio</c>, <c>video</c>…), decoded.</summary>
    public MeshSubscription<MeshStreamChunk> SubscribeStream(string deviceId, string streamType)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        ArgumentException.ThrowIfNullOrEmpty(streamType);
        ThrowIfDisposed();
        return Streams.SubscribeHost(deviceId, streamType);
    }

    /// <summary>The last-known state of a device, or null when it never registered.</summary>
    public DeviceState? GetDeviceState(string deviceId) => State.Get(deviceId);

    /// <summary>Every device the hub knows, online or not.</summary>
    public IReadOnlyList<DeviceState> ListDevices() => State.List();

    /// <summary>True when the device is connected to this node.</summary>
    public bool IsOnline(string deviceId) => Registry.TryGet(deviceId, out MeshConnection connection) && !connection.IsClosing;

    /// <summary>Issues a token (shown once; stored hashed).</summary>
    public Task<IssuedToken> IssueTokenAsync(TokenIssueRequest request, CancellationToken cancellationToken = default) =>
        Auth.IssueTokenAsync(request, cancellationToken);

    /// <summary>Revokes a token; live connections using it are closed at once with 4004.</summary>
    public Task<bool> RevokeTokenAsync(string tokenId, CancellationToken cancellationToken = default) =>
        Auth.RevokeTokenAsync(tokenId, cancellationToken);

    /// <summary>Revokes every token of a device; its live connection is closed at once with 4004.</summary>
    public Task<IReadOnlyList<string>> RevokeDeviceAsync(string deviceId, CancellationToken cancellationToken = default) =>
        Auth.RevokeDeviceAsync(deviceId, cancellationToken);

    /// <summary>Registers (or replaces) a family member's catch phrase (stored as a PBKDF2 hash) and the devices it unlocks.</summary>
    /// <exception cref="InvalidOperationException">No catch-phrase registry is configured, or another member uses this phrase.</exception>
    public Task RegisterCatchPhraseAsync(string member, string phrase, IEnumerable<string> permittedDevices, CancellationToken cancellationToken = default) =>
        RequireCatchPhrases().RegisterAsync(member, phrase, permittedDevices, cancellationToken);

    /// <summary>
    /// Exchanges a presented catch phrase for a short-lived family token limited to that member's devices. Failures are
    /// rate-limited per <paramref name="source"/> and audited.
    /// </summary>
    /// <exception cref="InvalidOperationException">No catch-phrase registry is configured.</exception>
    public Task<CatchPhraseExchangeResult> ExchangeCatchPhraseAsync(string? phrase, string source, CancellationToken cancellationToken = default) =>
        RequireCatchPhrases().ExchangeAsync(phrase, source, cancellationToken);

    /// <summary>Lists tokens (never secrets).</summary>
    public Task<IReadOnlyList<TokenInfo>> ListTokensAsync(CancellationToken cancellationToken = default) =>
        Auth.ListTokensAsync(cancellationToken);

    /// <summary>
    /// Stops accepting connections, closes every open one with 1001 and waits for them to finish (bounded by twice the close
    /// timeout). Hosts call it when shutdown begins, before the transport waits for requests to drain. Idempotent.
    /// </summary>
    public Task StopAsync()
    {
        lock (_connectionsLock)
        {
            if (_stopTask is not null) return _stopTask;
            _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_connections.Count == 0) _drained.TrySetResult();
            _stopTask = StopCoreAsync(_drained.Task);
            return _stopTask;
        }
    }

    /// <summary>Stops (see <see cref="StopAsync"/>), then releases the timer, metrics and owned stores.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Auth.TokenRevoked -= OnTokenRevoked;
        await StopAsync().ConfigureAwait(false);
        _writeDeadlineSweep.Dispose();
        Events.CompleteAll();
        Streams.CompleteAll();
        Wheel.Dispose();
        Metrics.Dispose();
        if (Audit is not null)
        {
            await Audit.FlushAsync().WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
        if (_ownedResources is not null) await _ownedResources.DisposeAsync().ConfigureAwait(false);
    }

    private async Task StopCoreAsync(Task drained)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await drained.WaitAsync(Options.CloseTimeout * 2).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
    }

    private void SweepWriteDeadlines()
    {
        MeshConnection[] open;
        lock (_connectionsLock) open = [.. _connections];
        long now = Time.GetTimestamp();
        foreach (MeshConnection connection in open) connection.CheckWriteDeadline(now);
    }

    /// <summary>A connection served by this hub (not yet admitted or running).</summary>
    internal MeshConnection CreateConnection(WebSocket socket, MeshConnectionInfo info, CoalescingStream? frames = null) =>
        new(socket, info, frames, Options, Time, Wheel, Metrics, Audit, Logger, Router, Registrar, OnConnectionEnded);

    private void OnConnectionEnded(MeshConnection connection)
    {
        // What the connection held: its stream subscriptions, the requests sent to it (failed with device_offline), its
        // device id (and presence), its admission counts, its place in the open set.
        Streams.RemoveSubscriber(connection);
        Requests.FailRequestsTo(connection);
        Registrar.OnDisconnected(connection);
        Admission.Release(connection);
        lock (_connectionsLock)
        {
            _connections.Remove(connection);
            if (_connections.Count == 0) _drained?.TrySetResult();
        }
    }

    private async Task<MeshReply> RequestAsync(MessageType type, string deviceId, string action, ReadOnlyMemory<byte> parameters, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        ArgumentException.ThrowIfNullOrEmpty(action);
        ThrowIfDisposed();
        TimeSpan wait = timeout ?? Options.DefaultRequestTimeout;
        if (wait <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "Must be positive.");
        (PendingRequest pending, Task<MeshReply> response) = Requests.SendFromHost(type, deviceId, action, parameters.Span, wait);
        if (!cancellationToken.CanBeCanceled) return await response.ConfigureAwait(false);
        using CancellationTokenRegistration registration = cancellationToken.Register(() =>
        {
            if (Correlation.TryRemove(pending)) pending.HostWaiter?.TrySetCanceled(cancellationToken);
        });
        return await response.ConfigureAwait(false);
    }

    private void OnRequestTimeout(PendingRequest request) => Requests.OnRequestTimeout(request);

    private void OnTokenRevoked(object? sender, TokenRevokedEventArgs e)
    {
        MeshConnection[] open;
        lock (_connectionsLock) open = [.. _connections];
        foreach (MeshConnection connection in open)
        {
            if (connection.Identity?.TokenId != e.TokenId) continue;
            Log.ClosingRevoked(Logger, connection.DeviceId, e.TokenId);
            connection.SendError(default, MeshErrorCodes.Unauthorized, "The token was revoked.");
            Audit?.TryWrite(AuditRecord.ForAuth(Time.GetUtcNow(), "revoke_close", connection.DeviceId, e.TokenId, AuditOutcome.Denied, "token_revoked"));
            connection.Close(MeshCloseCodes.TokenRevoked, "token revoked", drain: true);
        }
    }

    private async Task RefuseAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(Options.CloseTimeout);
        try
        {
            await socket.CloseOutputAsync((WebSocketCloseStatus)MeshCloseCodes.TryAgainLater, "hub at capacity", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            socket.Abort();
        }
    }

    private static ReadOnlyMemory<byte> ToUtf8(JsonElement? element) =>
        element is { ValueKind: not JsonValueKind.Undefined } value ? JsonBytes.From(value) : ReadOnlyMemory<byte>.Empty;

    private CatchPhraseRegistry RequireCatchPhrases() =>
        CatchPhrases ?? throw new InvalidOperationException("This hub has no catch-phrase registry (pass one to the constructor, or use CreateAsync / AddMeowstikHub).");

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private sealed class BackplaneDelivery(DeviceRegistry registry) : IMeshBackplaneDelivery
    {
        public bool DeliverLocal(ReadOnlySpan<char> deviceId, ReadOnlySpan<byte> message)
        {
            if (!registry.TryGet(deviceId, out MeshConnection connection) || connection.IsClosing) return false;
            OutboundFrame copy = OutboundFrame.Rent();
            message.CopyTo(copy.GetSpan(message.Length));
            copy.Advance(message.Length);
            return connection.SendAndRelease(copy) == EnqueueResult.Queued;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2, LogLevel.Information, "Closing {DeviceId}: token {TokenId} was revoked")]
        public static partial void ClosingRevoked(ILogger logger, string deviceId, string tokenId);
    }
}
