using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Agent;

/// <summary>
/// The device agent: keeps one WebSocket to the hub (connect → register → online → drop → backoff → again),
/// answers commands and queries through its capabilities, heartbeats with real process figures, and delivers
/// events and responses through a bounded outbox that survives reconnects.
/// </summary>
/// <example>
/// <code>
/// await using var agent = new MeshAgent(new MeshAgentOptions
/// {
///     HubUri = new Uri("wss://hub.example/ws/mesh"),
///     DeviceId = "comma3x-001",
///     DeviceType = "vehicle",
///     Token = Environment.GetEnvironmentVariable("MESH_TOKEN"),
/// }, [new StatusCapability()]);
/// Task run = agent.RunAsync(stoppingToken);
/// await agent.WaitUntilOnlineAsync(stoppingToken);
/// agent.PublishEvent("trip_started");
/// </code>
/// </example>
public sealed class MeshAgent : IMeshPublisher, IAsyncDisposable, IInboundTarget
{
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly CommandDispatcher _dispatcher;
    private readonly PendingRequests _pending;
    private readonly LocalSubscribers<MeshEvent> _eventSubscribers;
    private readonly LocalSubscribers<MeshStreamChunk> _streamSubscribers;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _stateLock = new();
    private TaskCompletionSource _stateSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _runEnded;
    private AgentState _state = AgentState.Disconnected;
    private string? _stateReason;
    private string? _sessionId;
    private bool _binaryStreams;
    private TimeSpan _heartbeatInterval;
    private ReconnectSchedule? _schedule;
    private CancellationToken _runToken;
    private int _running;
    private int _disposeStarted;
    private int _sessionLoops;

    /// <summary>Creates an agent. Call <see cref="RunAsync"/> to connect.</summary>
    /// <param name="options">The settings; validated here.</param>
    /// <param name="capabilities">The capabilities answering commands and queries.</param>
    /// <param name="loggerFactory">Logging; none when null.</param>
    /// <param name="timeProvider">The clock for backoff, heartbeats and deadlines; the system clock when null.</param>
    /// <param name="meterFactory">Creates the <c>Meowstik.Agent</c> meter; a private meter when null.</param>
    /// <exception cref="ArgumentException">An option is invalid, or two capabilities claim the same action.</exception>
    public MeshAgent(
        MeshAgentOptions options,
        IEnumerable<IMeshCapability>? capabilities = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Time = timeProvider ?? TimeProvider.System;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<MeshAgent>();
        try
        {
            _dispatcher = new CommandDispatcher(
                capabilities ?? [],
                options.MaxConcurrentCommands,
                options.MaxPendingCommands,
                options.CommandTimeout,
                Time,
                _logger);
        }
        catch (InvalidOperationException ex)
        {
            throw new ArgumentException(ex.Message, nameof(capabilities), ex);
        }

        var advertised = new List<string>(_dispatcher.CapabilityNames);
        foreach (string extra in options.Capabilities)
        {
            if (!string.IsNullOrWhiteSpace(extra) && !advertised.Contains(extra, StringComparer.Ordinal))
            {
                advertised.Add(extra);
            }
        }

        AdvertisedCapabilities = advertised;
        byte[] deviceIdUtf8 = Encoding.UTF8.GetBytes(options.DeviceId);
        _heartbeatInterval = options.HeartbeatInterval;
        Outbox = new AgentOutbox<OutboxEntry>(options.OutboxCapacity, options.StreamBufferCapacity, OnDropped);
        _pending = new PendingRequests();
        _eventSubscribers = new LocalSubscribers<MeshEvent>(options.SubscriptionCapacity);
        _streamSubscribers = new LocalSubscribers<MeshStreamChunk>(options.SubscriptionCapacity);
        Instruments = new AgentInstruments(options.DeviceId, () => Outbox.Count, meterFactory);
        Handshake = new SessionHandshake(options, new RegistrationManifest(deviceIdUtf8, advertised, AdvertisedQueries, AdvertisedCommands, _dispatcher.ActionsByCapability), Instruments, Time, _logger);
        Inbound = new InboundHandler(this, _pending, Instruments, options, Time, _logger);
        OutboxSender = new OutboxSender(Outbox, Instruments, deviceIdUtf8, OnDropped);
        Heartbeat = new HeartbeatSender(new ProcessMetricsSampler(Time), Instruments, deviceIdUtf8, Time);
    }

    /// <summary>Raised on every state transition (on the thread that caused it; keep handlers short).</summary>
    public event EventHandler<AgentStateChangedEventArgs>? StateChanged;

    /// <summary>Raised for each <c>event</c> message delivered to this agent (on the receive loop; keep handlers short,
    /// or use <see cref="SubscribeEvents"/>).</summary>
    public event EventHandler<MeshEvent>? EventReceived;

    /// <summary>Raised for each <c>stream</c> chunk delivered to this agent (on the receive loop; keep handlers short,
    /// or use <see cref="SubscribeStream"/>).</summary>
    public event EventHandler<MeshStreamChunk>? StreamReceived;

    /// <inheritdoc />
    public string DeviceId => Options.DeviceId;

    /// <summary>The current connection state.</summary>
    public AgentState State
    {
        get
        {
            lock (_stateLock)
            {
                return _state;
            }
        }
    }

    /// <summary>Why the agent entered its current state (a close reason, an auth error), when known.</summary>
    public string? StateReason
    {
        get
        {
            lock (_stateLock)
            {
                return _stateReason;
            }
        }
    }

    /// <inheritdoc />
    public bool IsOnline => State == AgentState.Online;

    /// <summary>The hub's <c>session_id</c> of the current or last registration.</summary>
    public string? SessionId => Volatile.Read(ref _sessionId);

    /// <summary>
    /// Whether the current or last session sends stream chunks as binary frames: the agent announced
    /// <c>binary_streams</c> (<see cref="MeshAgentOptions.BinaryStreams"/>) and the hub accepted it. Otherwise chunks go
    /// as JSON with base64 data. Received chunks are taken in both forms either way.
    /// </summary>
    public bool UsesBinaryStreams => Volatile.Read(ref _binaryStreams);

    /// <summary>The heartbeat period in use: the hub's <c>heartbeat_interval</c> once registered, else the configured one.</summary>
    public TimeSpan HeartbeatInterval => _heartbeatInterval;

    /// <summary>The capability names sent in <c>register</c>.</summary>
    public IReadOnlyList<string> AdvertisedCapabilities { get; }

    /// <summary>The read-only actions sent in <c>register</c> as <c>queries</c>: the only ones a <c>query</c> message may run.</summary>
    public IReadOnlyList<string> AdvertisedQueries => _dispatcher.QueryActions;

    /// <summary>The state-changing actions sent in <c>register</c> as <c>commands</c>: only a <c>command</c> message may run them.</summary>
    public IReadOnlyList<string> AdvertisedCommands => _dispatcher.CommandActions;

    /// <summary>Messages waiting in the outbox.</summary>
    public int OutboxCount => Outbox.Count;

    internal MeshAgentOptions Options { get; }

    internal TimeProvider Time { get; }

    internal AgentOutbox<OutboxEntry> Outbox { get; }

    internal AgentInstruments Instruments { get; }

    /// <summary>Connects and registers, at the start of each session.</summary>
    internal SessionHandshake Handshake { get; }

    /// <summary>Handles what each session receives.</summary>
    internal InboundHandler Inbound { get; }

    /// <summary>Each session's send loop.</summary>
    internal OutboxSender OutboxSender { get; }

    /// <summary>Each session's heartbeat loop.</summary>
    internal HeartbeatSender Heartbeat { get; }

    /// <summary>Set by <see cref="MeshAgentHostedService"/> when it reports a rejected token by failing (the host logs that), so the
    /// agent does not log the same failure a second time.</summary>
    internal bool AuthFailureReportedByHost { get; set; }

    /// <summary>Receive, send and heartbeat loops currently running, across sessions: 0 between sessions.</summary>
    internal int SessionLoops => Volatile.Read(ref _sessionLoops);

    internal void SessionLoopStarted() => Interlocked.Increment(ref _sessionLoops);

    internal void SessionLoopEnded() => Interlocked.Decrement(ref _sessionLoops);

    /// <summary>
    /// Keeps the agent connected until <paramref name="cancellationToken"/> fires or the agent is disposed: connects,
    /// registers, serves, and after any drop waits per the reconnect policy and tries again. Returns early only when the
    /// hub rejects the token and <see cref="MeshAgentOptions.AuthFailureRetryDelay"/> is null (state <see cref="AgentState.AuthFailed"/>).
    /// </summary>
    /// <param name="cancellationToken">Stops the agent (it closes the connection gracefully).</param>
    /// <returns>A task that ends when the agent stops.</returns>
    /// <exception cref="InvalidOperationException">The agent is already running.</exception>
    /// <exception cref="ArgumentException">The options were changed after construction and are no longer valid.</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);

        // Checked again: the options object stays the caller's, and a setting cleared since construction (HubUri) must
        // fail here, naming the key, not as a null reference in the connect loop.
        Options.Validate();
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            throw new InvalidOperationException("The agent is already running.");
        }

        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _runEnded, ended);
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        CancellationToken stopping = run.Token;
        _runToken = stopping;
        _schedule = new ReconnectSchedule(Options.CreateReconnectPolicy(), Options.StableConnectionThreshold, Time);
        Task producers = StartBackgroundCapabilities(stopping);
        bool endedOnAuthFailure = false;
        try
        {
            endedOnAuthFailure = await ConnectLoopAsync(stopping).ConfigureAwait(false);
        }
        finally
        {
            await run.CancelAsync().ConfigureAwait(false);
            await producers.ConfigureAwait(false);

            // AuthFailed stays visible when it is why the agent ended; any other end (including a cancel while
            // waiting out AuthFailureRetryDelay) is Stopped, so waiters are released.
            if (!endedOnAuthFailure)
            {
                SetState(AgentState.Stopped, "stopped");
            }

            Volatile.Write(ref _running, 0);
            ended.TrySetResult();
        }
    }

    /// <summary>Waits until the agent is online.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the agent is online.</returns>
    /// <exception cref="MeshAuthenticationException">The hub rejected the token (and no auth retry is configured).</exception>
    /// <exception cref="InvalidOperationException">The agent stopped.</exception>
    public async Task WaitUntilOnlineAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task signal;
            lock (_stateLock)
            {
                switch (_state)
                {
                    case AgentState.Online:
                        return;
                    case AgentState.AuthFailed when Options.AuthFailureRetryDelay is null:
                        throw new MeshAuthenticationException(_stateReason ?? "unknown reason");
                    case AgentState.Stopped:
                        throw new InvalidOperationException("The agent stopped before it came online.");
                }

                signal = _stateSignal.Task;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until the agent reaches <paramref name="state"/>.</summary>
    /// <param name="state">The state to wait for.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the state is reached.</returns>
    public async Task WaitForStateAsync(AgentState state, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task signal;
            lock (_stateLock)
            {
                if (_state == state)
                {
                    return;
                }

                signal = _stateSignal.Task;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Subscribes to the events delivered to this agent (broadcasts, events sent to it, the hub's own notices such as
    /// <c>device_connected</c>), optionally only those from one sender and/or with one name. Enumerate it with
    /// <c>await foreach</c>; dispose it to stop. It sees everything delivered after it was created, across reconnects, until it
    /// is disposed or the agent is; a subscriber more than <see cref="MeshAgentOptions.SubscriptionCapacity"/> items behind loses
    /// the oldest (counted in <see cref="MeshSubscription{T}.Dropped"/>).
    /// </summary>
    /// <param name="fromDeviceId">Only events whose <see cref="MeshEvent.From"/> is this device (<c>hub</c> for the hub's notices); null for any sender.</param>
    /// <param name="eventName">Only events with this <see cref="MeshEvent.Name"/>; null for any.</param>
    /// <returns>The subscription.</returns>
    /// <exception cref="ObjectDisposedException">The agent was disposed.</exception>
    /// <example>
    /// <code>
    /// using MeshSubscription&lt;MeshEvent&gt; trips = agent.SubscribeEvents("comma3x-001", "trip_started");
    /// await foreach (MeshEvent trip in trips.WithCancellation(stoppingToken))
    ///     Console.WriteLine(trip.Data);
    /// </code>
    /// </example>
    public MeshSubscription<MeshEvent> SubscribeEvents(string? fromDeviceId = null, string? eventName = null)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        return _eventSubscribers.Add(e => (fromDeviceId is null || e.From == fromDeviceId) && (eventName is null || e.Name == eventName));
    }

    /// <summary>
    /// Subscribes to the stream chunks delivered to this agent, optionally only those from one device and/or of one type,
    /// decoded (<see cref="MeshStreamChunk.Data"/> holds the bytes). The hub forwards a device's stream only to those that asked
    /// for it: send it the <c>subscribe_stream</c> action first (<c>SendCommandAsync("hub", "subscribe_stream", …)</c> with
    /// <c>device_id</c> and <c>stream_type</c>). Same lifetime and overflow rules as <see cref="SubscribeEvents"/>.
    /// </summary>
    /// <param name="fromDeviceId">Only chunks from this device; null for any.</param>
    /// <param name="streamType">Only chunks of this <see cref="MeshStreamChunk.StreamType"/> (<c>audio</c>, <c>video</c>…); null for any.</param>
    /// <returns>The subscription.</returns>
    /// <exception cref="ObjectDisposedException">The agent was disposed.</exception>
    public MeshSubscription<MeshStreamChunk> SubscribeStream(string? fromDeviceId = null, string? streamType = null)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        return _streamSubscribers.Add(c => (fromDeviceId is null || c.From == fromDeviceId) && (streamType is null || c.StreamType == streamType));
    }

    /// <inheritdoc />
    public bool PublishEvent(string eventName, MeshJson data = default, string? to = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        return Outbox.EnqueueReliable(OutboxEntry.Create(MessageType.Event, Time, to, null, OutboundPayloads.Event(eventName, data)));
    }

    /// <inheritdoc />
    public bool PublishStreamChunk(OutgoingStreamChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        return Outbox.TryEnqueueStream(OutboxEntry.ForChunk(chunk, Time));
    }

    /// <inheritdoc />
    public async Task<long> PublishStreamAsync(IAsyncEnumerable<OutgoingStreamChunk> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        long queued = 0;
        await foreach (OutgoingStreamChunk chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (PublishStreamChunk(chunk))
            {
                queued++;
            }
        }

        return queued;
    }

    /// <inheritdoc />
    public Task<MeshReply> QueryAsync(string deviceId, string action, MeshJson parameters = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RequestAsync(MessageType.Query, deviceId, action, parameters, timeout, cancellationToken);

    /// <inheritdoc />
    public Task<MeshReply> SendCommandAsync(string deviceId, string action, MeshJson parameters = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RequestAsync(MessageType.Command, deviceId, action, parameters, timeout, cancellationToken);

    /// <summary>Stops the agent (closing the connection), drops what is left in the outbox (counted), fails pending requests and
    /// ends every subscription.</summary>
    /// <returns>A task that completes when the agent has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) == 1)
        {
            return;
        }

        await _disposed.CancelAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _runEnded) is { } ended && Volatile.Read(ref _running) == 1)
        {
            try
            {
                await ended.Task.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                AgentLog.StopTimedOut(_logger, DeviceId);
            }
        }

        Outbox.Complete();
        _eventSubscribers.CompleteAll();
        _streamSubscribers.CompleteAll();
        _pending.FailAll(new ObjectDisposedException(nameof(MeshAgent), "The agent was disposed before the answer arrived."));
        Instruments.Dispose();
    }

    internal async ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (Options.TokenProvider is { } provider)
        {
            string token = await provider(cancellationToken).ConfigureAwait(false);
            return string.IsNullOrEmpty(token) ? throw new InvalidOperationException("The token provider returned an empty token.") : token;
        }

        return Options.Token!;
    }

    internal void SetState(AgentState next, string? reason)
    {
        AgentState previous;
        TaskCompletionSource signal;
        lock (_stateLock)
        {
            previous = _state;
            if (previous == next && reason == _stateReason)
            {
                return;
            }

            _state = next;
            _stateReason = reason;
            signal = _stateSignal;
            _stateSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        signal.TrySetResult();
        AgentLog.StateChanged(_logger, DeviceId, previous, next, reason is null ? string.Empty : " (" + reason + ")");
        try
        {
            StateChanged?.Invoke(this, new AgentStateChangedEventArgs(previous, next, reason));
        }
        catch (Exception ex)
        {
            AgentLog.SubscriberFailed(_logger, ex, nameof(StateChanged));
        }
    }

    internal void OnRegistered(string? sessionId, TimeSpan heartbeatInterval, bool binaryStreams)
    {
        Volatile.Write(ref _sessionId, sessionId);
        Volatile.Write(ref _binaryStreams, binaryStreams);
        _heartbeatInterval = heartbeatInterval;
        _schedule?.OnOnline();
        SetState(AgentState.Online, sessionId is null ? null : "session " + sessionId);
    }

    IMeshPublisher IInboundTarget.Publisher => this;

    void IInboundTarget.Answer(MessageType type, string? to, string correlationId, MeshJson payload) => EnqueueAnswer(type, to, correlationId, payload);

    void IInboundTarget.Dispatch(CommandContext context, TimeSpan? requestedTimeout)
    {
        CancellationToken stopping = _runToken;

        // Off the receive loop: a handler that blocks synchronously must not stall receiving or heartbeats.
        _ = Task.Run(() => DispatchAndAnswerAsync(context, requestedTimeout, stopping), CancellationToken.None);
    }

    void IInboundTarget.Deliver(MeshEvent meshEvent)
    {
        _eventSubscribers.Publish(meshEvent);
        try
        {
            EventReceived?.Invoke(this, meshEvent);
        }
        catch (Exception ex)
        {
            AgentLog.SubscriberFailed(_logger, ex, nameof(EventReceived));
        }
    }

    void IInboundTarget.Deliver(MeshStreamChunk chunk)
    {
        _streamSubscribers.Publish(chunk);
        try
        {
            StreamReceived?.Invoke(this, chunk);
        }
        catch (Exception ex)
        {
            AgentLog.SubscriberFailed(_logger, ex, nameof(StreamReceived));
        }
    }

    private void OnDropped(OutboxEntry message, OutboxDropReason reason)
    {
        string name = OutboxDropReasons.GetName(reason);
        Instruments.Dropped(name);
        if (message.Type == MessageType.Stream)
        {
            // Streams drop by design while offline; at frame rates a warning per chunk would drown the log.
            AgentLog.StreamChunkDropped(_logger, name);
            message.Chunk?.Lease?.Dispose();
        }
        else
        {
            AgentLog.OutboxDropped(_logger, message.Type.ToString(), name);
        }

        if (message.Type is MessageType.Query or MessageType.Command)
        {
            _pending.TryFail(message.Id, name, "The request was dropped from the outbox before it was sent.");
        }
    }

    /// <returns>True when the loop ended because the hub rejected the token and no auth retry is configured.</returns>
    private async Task<bool> ConnectLoopAsync(CancellationToken stopping)
    {
        ReconnectSchedule schedule = _schedule!;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                SetState(AgentState.Connecting, null);
                var session = new AgentSession(this, _logger);
                ConnectionOutcome outcome = await session.RunAsync(stopping).ConfigureAwait(false);
                if (stopping.IsCancellationRequested)
                {
                    return false;
                }

                if (outcome.AuthRejected)
                {
                    SetState(AgentState.AuthFailed, outcome.Reason);
                    if (Options.AuthFailureRetryDelay is not { } retry)
                    {
                        if (!AuthFailureReportedByHost)
                        {
                            AgentLog.AuthFailedStopping(_logger, DeviceId, outcome.Reason);
                        }

                        return true;
                    }

                    AgentLog.AuthFailedRetrying(_logger, DeviceId, outcome.Reason, retry);
                    await Task.Delay(retry, Time, stopping).ConfigureAwait(false);
                    continue;
                }

                TimeSpan delay = schedule.OnDisconnected(outcome.Error);
                SetState(AgentState.Disconnected, outcome.Reason);
                AgentLog.Reconnecting(_logger, DeviceId, schedule.Attempt, delay, outcome.Reason);
                Instruments.Reconnect();
                await Task.Delay(delay, Time, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping.
        }

        return false;
    }

    private void EnqueueAnswer(MessageType type, string? to, string correlationId, MeshJson payload) =>
        Outbox.EnqueueReliable(OutboxEntry.Create(type, Time, to, correlationId, payload));

    private async Task DispatchAndAnswerAsync(CommandContext context, TimeSpan? requestedTimeout, CancellationToken stopping)
    {
        CommandResult result;
        try
        {
            result = await _dispatcher.DispatchAsync(context, requestedTimeout, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }

        Instruments.Command(result.IsSuccess ? "ok" : result.ErrorCode ?? "error");
        MeshJson payload = result.IsSuccess
            ? OutboundPayloads.Response(context.Action, result)
            : OutboundPayloads.Error(result.ErrorCode ?? "error", result.ErrorMessage ?? string.Empty);
        EnqueueAnswer(result.IsSuccess ? MessageType.Response : MessageType.Error, context.From, context.MessageId, payload);
    }

    private async Task<MeshReply> RequestAsync(MessageType type, string deviceId, string action, MeshJson parameters, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        TimeSpan wait = timeout ?? Options.RequestTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(wait, TimeSpan.Zero, nameof(timeout));
        string id = MessageId.NewId(Time);
        TaskCompletionSource<MeshReply> waiter = _pending.Add(id, deviceId);
        try
        {
            var message = OutboxEntry.Create(type, id, Time, deviceId, OutboundPayloads.Request(action, parameters, (long)wait.TotalMilliseconds));
            Outbox.EnqueueReliable(message);
            return await waiter.Task.WaitAsync(wait, Time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No answer from '{deviceId}' to '{action}' within {wait.TotalSeconds:0.###} s.");
        }
        finally
        {
            _pending.Remove(id);
        }
    }

    private Task StartBackgroundCapabilities(CancellationToken stopping)
    {
        var running = new List<Task>();
        foreach (IMeshCapability capability in _dispatcher.Capabilities)
        {
            if (capability is IMeshBackgroundCapability producer)
            {
                running.Add(Task.Run(() => RunProducerAsync(capability.Name, producer, stopping), CancellationToken.None));
            }
        }

        return Task.WhenAll(running);
    }

    private async Task RunProducerAsync(string name, IMeshBackgroundCapability producer, CancellationToken stopping)
    {
        try
        {
            await producer.RunAsync(this, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            AgentLog.ProducerFailed(_logger, ex, name);
        }
    }
}
