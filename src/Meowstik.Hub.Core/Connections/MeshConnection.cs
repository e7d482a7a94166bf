using System.Buffers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;

namespace Meowstik.Hub.Core;

/// <summary>
/// One WebSocket session: a receive loop (whole messages via <see cref="WebSocketMessageReader"/>, decoded and routed inline),
/// a send loop draining the <see cref="OutboundQueue"/>, the registration state machine, rate limiting, violation counting, and
/// the registration / heartbeat deadline on the hub's timer wheel (any received traffic counts as liveness).
/// <para>
/// Flow control: when routing a message pushes a recipient's queue above its byte budget, this connection's receive loop stops
/// reading until that recipient drains (TCP carries the pressure back to the sender). A recipient is closed as a slow consumer
/// only when a write to it makes no progress for <see cref="MeshHubOptions.WriteDeadline"/>, or its backlog exceeds
/// <see cref="MeshHubOptions.MaxPendingBytes"/>.
/// </para>
/// </summary>
internal sealed partial class MeshConnection : TimerWheelEntry
{
    private static long s_nextNumber;

    private readonly MeshHubOptions _options;
    private readonly TimeProvider _time;
    private readonly TimerWheel _wheel;
    private readonly HubMetrics _metrics;
    private readonly IAuditSink? _audit;
    private readonly ILogger _logger;
    private readonly MessageRouter _router;
    private readonly Registrar _registrar;
    private readonly Action<MeshConnection> _ended;
    private readonly WebSocket _socket;
    private readonly OutboundQueue _outbound;
    private readonly CoalescingStream? _frames;
    private readonly BackpressureScope _backpressure = new();
    private readonly TokenBucket _rate;
    private readonly ViolationCounter _violations;
    private readonly CancellationTokenSource _closeCts = new();
    private readonly long _heartbeatTimeout;
    private long _lastActivity;
    private int _closeCode;
    private string _closeReason = "";
    private volatile bool _hostEnded;
    private volatile bool _closeSent;
    private string? _clientCloseDescription;
    private volatile bool _discardPending;
    private volatile bool _paused;
    private volatile bool _writeTimedOut;
    private long _writeStarted;
    private readonly Lock _requestRoomLock = new();
    private TaskCompletionSource? _requestRoom;
    private int _pendingRequests;
    private volatile ConnectionPhase _phase;

    /// <param name="socket">The server WebSocket.</param>
    /// <param name="info">Where the connection came from.</param>
    /// <param name="frames">
    /// The stream under <paramref name="socket"/> when the hub created the socket itself: data frames are then written into it
    /// in batches with one flush per batch. Null for a socket given by the host: one <c>SendAsync</c> per message.
    /// </param>
    /// <param name="options">Budgets, limits and deadlines.</param>
    /// <param name="time">The clock.</param>
    /// <param name="wheel">Where the registration, heartbeat and token-expiry deadline is scheduled.</param>
    /// <param name="metrics">Received, sent, dropped, paused, slow consumers.</param>
    /// <param name="audit">Connection-level audit rows, and the audit trail's backpressure; none when null.</param>
    /// <param name="logger">Connection log lines.</param>
    /// <param name="router">Routes every message once registered.</param>
    /// <param name="registrar">Handles the messages before registration.</param>
    /// <param name="ended">Called once, when the connection is gone.</param>
    public MeshConnection(
        WebSocket socket,
        MeshConnectionInfo info,
        CoalescingStream? frames,
        MeshHubOptions options,
        TimeProvider time,
        TimerWheel wheel,
        HubMetrics metrics,
        IAuditSink? audit,
        ILogger logger,
        MessageRouter router,
        Registrar registrar,
        Action<MeshConnection> ended)
    {
        _socket = socket;
        _frames = frames;
        _options = options;
        _time = time;
        _wheel = wheel;
        _metrics = metrics;
        _audit = audit;
        _logger = logger;
        _router = router;
        _registrar = registrar;
        _ended = ended;
        Info = info;
        Number = Interlocked.Increment(ref s_nextNumber);
        SessionId = "sess_" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 16);
        _outbound = new OutboundQueue(options.OutboundBufferBytes, options.MaxPendingBytes, options.AudioQueueCapacity);
        _rate = new TokenBucket(time, options.RateLimitPerSecond, options.RateLimitBurst);
        _violations = new ViolationCounter(time, options.ViolationWindow, options.MaxViolations);
        _heartbeatTimeout = wheel.ToTimestampDelta(options.HeartbeatInterval * options.MissedHeartbeatsBeforeOffline);
        _lastActivity = time.GetTimestamp();
    }

    /// <summary>Stream subscriptions this connection holds (changed only by the stream manager, under its lock).</summary>
    public int StreamSubscriptionCount { get; set; }

    /// <summary>What this connection holds in the hub's admission counts (guarded by <see cref="ConnectionAdmission"/>'s lock).</summary>
    public AdmissionState Admission { get; set; }

    /// <summary>The token whose place this registered connection holds (for <see cref="MeshHubOptions.MaxConnectionsPerToken"/>).</summary>
    public string? HeldTokenId { get; set; }

    /// <summary>Requests from this connection awaiting a response (changed only by the correlation table, under its lock).</summary>
    public int PendingRequestCount
    {
        get => Volatile.Read(ref _pendingRequests);
        set
        {
            bool freed = value < _pendingRequests;
            Volatile.Write(ref _pendingRequests, value);
            // Under the waiter's lock (not a bare check of the signal): a waiter either sees the new count or is signalled.
            if (freed) SignalRequestRoom();
        }
    }

    /// <summary>A process-unique number, for logs.</summary>
    public long Number { get; }

    /// <summary>The session id announced in the registration reply.</summary>
    public string SessionId { get; }

    public MeshConnectionInfo Info { get; }

    public ConnectionPhase Phase => _phase;

    /// <summary>The identity proved by the token presented at the upgrade, if any (registration reuses it instead of checking again).</summary>
    public MeshIdentity? UpgradeIdentity { get; set; }

    /// <summary>The authenticated identity (set at registration).</summary>
    public MeshIdentity? Identity { get; private set; }

    /// <summary>The registered device id (set at registration).</summary>
    public string DeviceId { get; private set; } = "";

    /// <summary>The registered device id as UTF-8, for stamping <c>from</c> and comparing without allocating.</summary>
    public byte[] DeviceIdUtf8 { get; private set; } = [];

    /// <summary>The newest-wins slot for video sent straight to this connection (not through a subscription).</summary>
    public VideoSlot DirectVideoSlot { get; } = new();

    /// <summary>What the device announced at registration.</summary>
    public DeviceRegistration? Registration { get; set; }

    /// <summary>The device announced the <c>binary_streams</c> feature: stream chunks go to it as binary frames.</summary>
    public bool SupportsBinaryStreams { get; private set; }

    /// <summary>Only devices and creators have last-known state; people's clients (family, guest) leave nothing behind.</summary>
    public bool KeepsState => Identity?.Role is MeshRole.Device or MeshRole.Creator;

    /// <summary>
    /// Family and guest connections are people's clients, not devices: broadcasts (the host's, and broadcast commands and
    /// queries) never reach them. They see only what concerns the devices they may observe.
    /// </summary>
    public bool ReceivesBroadcasts => Identity?.Role is MeshRole.Device or MeshRole.Creator;

    /// <summary>True once <see cref="Close"/> was called.</summary>
    public bool IsClosing => Volatile.Read(ref _closeCode) != 0;

    private static readonly TimeSpan PeerCloseWait = TimeSpan.FromSeconds(1);

    private const string HostEndedReason = "the host ended the connection";

    // A batch is flushed when the queue runs empty or when this much is buffered, whichever comes first.
    private const int FlushThresholdBytes = 64 * 1024;

    /// <summary>The close code once closing.</summary>
    public int CloseCode => Volatile.Read(ref _closeCode);

    /// <summary>Set when a newer connection with the same device id took over (no offline event for this one).</summary>
    public bool WasReplaced { get; private set; }

    /// <summary>The close status the client sent when it closed the connection first; null otherwise.</summary>
    public int? ClientCloseStatus { get; private set; }

    /// <summary>
    /// Runs the session until the socket closes. Never throws for transport failures. How it ended is logged as what it was:
    /// the client closed it (with the status and description it sent), the transport was aborted, the host ended it
    /// (<paramref name="hostToken"/>), the hub is shutting down (<paramref name="hubStopping"/>), or the hub closed it for a
    /// reason of its own (logged when it decides, by <see cref="Close"/>).
    /// </summary>
    /// <param name="hostToken">Cancelled by the host to end this connection: it is closed with 1001.</param>
    /// <param name="hubStopping">Cancelled when the hub stops: the connection is closed with 1001.</param>
    public async Task RunAsync(CancellationToken hostToken, CancellationToken hubStopping)
    {
        using CancellationTokenRegistration stopping = hubStopping.UnsafeRegister(
            static s => ((MeshConnection)s!).Close(MeshCloseCodes.GoingAway, "hub shutting down", drain: false), this);
        using CancellationTokenRegistration hostEnded = hostToken.UnsafeRegister(static s => ((MeshConnection)s!).CloseForHost(), this);
        _wheel.Schedule(this, _time.GetTimestamp() + _wheel.ToTimestampDelta(_options.RegistrationTimeout));
        Task sendLoop = Task.Run(SendLoopAsync, CancellationToken.None);
        string? transportFailure = null;
        try
        {
            await ReceiveLoopAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            Log.TransportEnded(_logger, Number, DeviceId, ex.Message);
            // Not the close timeout of a close this hub began: the transport failed under it (a host's abort is an OperationCanceledException too).
            if (ex is not OperationCanceledException || !_closeCts.IsCancellationRequested) transportFailure = ex.Message;
            await AwaitPeerCloseAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.ReceiveLoopFailed(_logger, ex, Number, DeviceId);
            Close(MeshCloseCodes.InternalError, "internal error", drain: false);
        }
        LogEnd(transportFailure);
        Close(MeshCloseCodes.Normal, "closed", drain: true);
        await sendLoop.ConfigureAwait(false);
        if (_socket.State != WebSocketState.Closed) _socket.Abort();
        _wheel.Cancel(this);
        _ended(this);
        _closeCts.Dispose();
    }

    // The host ended the connection (its token). Logged once the connection has ended, as what it turned out to be: a host
    // that passes a request-aborted token cancels it when the client goes away, and that is a client close or a transport abort.
    private void CloseForHost()
    {
        if (CloseCore(MeshCloseCodes.GoingAway, HostEndedReason, drain: false)) _hostEnded = true;
    }

    private void LogEnd(string? transportFailure)
    {
        bool hubClosedFirst = IsClosing && !_hostEnded;
        if (ClientCloseStatus is { } code)
        {
            // A close frame the client sent first (not its answer to the hub's close).
            Log.ClientClosed(_logger, Number, DeviceId, code, (WebSocketCloseStatus)code, _clientCloseDescription ?? "");
        }
        else if (transportFailure is not null && !hubClosedFirst)
        {
            Log.TransportAborted(_logger, Number, DeviceId, transportFailure);
        }
        else if (_hostEnded)
        {
            Log.Closing(_logger, Number, DeviceId, MeshCloseCodes.GoingAway, HostEndedReason);
        }
    }

    /// <summary>Records the identity and device id chosen at registration.</summary>
    public void SetRegistered(MeshIdentity identity, string deviceId, bool binaryStreams)
    {
        Identity = identity;
        DeviceId = deviceId;
        DeviceIdUtf8 = Encoding.UTF8.GetBytes(deviceId);
        SupportsBinaryStreams = binaryStreams;
        _phase = ConnectionPhase.Registered;
        ScheduleHeartbeatDeadline();
    }

    public void MarkRegistering() => _phase = ConnectionPhase.Registering;

    public void MarkAwaitingRegistration()
    {
        if (_phase == ConnectionPhase.Registering) _phase = ConnectionPhase.AwaitingRegistration;
    }

    public void MarkReplaced() => WasReplaced = true;

    /// <summary>
    /// Queues a control message. Above the byte budget the message is still queued and the connection routing it (if any) is
    /// paused until this one drains; beyond <see cref="MeshHubOptions.MaxPendingBytes"/> this connection is closed as a slow
    /// consumer (1013), the drop counted and audited. The caller keeps its own reference.
    /// </summary>
    public EnqueueResult Send(OutboundFrame message)
    {
        EnqueueResult result = _outbound.TryEnqueue(message);
        if (result == EnqueueResult.Queued)
        {
            if (_outbound.IsAboveHighWater) BackpressureScope.Current?.Add(_outbound);
        }
        else if (result == EnqueueResult.Full)
        {
            _metrics.Dropped(DropReason.OutboundOverflow);
            CloseSlowConsumer(SlowConsumerRule.MaxPending);
        }
        return result;
    }

    /// <summary>Queues a control message and drops the caller's reference.</summary>
    public EnqueueResult SendAndRelease(OutboundFrame message)
    {
        EnqueueResult result = Send(message);
        message.Release();
        return result;
    }

    /// <summary>Queues an audio/data stream chunk (dropped, not fatal, when the stream queue is full).</summary>
    public EnqueueResult SendStream(OutboundFrame message) => _outbound.TryEnqueueStream(message);

    /// <summary>Offers a video frame to a newest-wins slot.</summary>
    public EnqueueResult SendVideo(VideoSlot slot, OutboundFrame frame) => _outbound.TryEnqueueVideo(slot, frame);

    /// <summary>Takes the next queued message without a send loop (allocation tests and benchmarks drive the router directly).</summary>
    internal bool TryDequeueOutbound(out OutboundFrame message) => _outbound.TryDequeue(out message);

    /// <summary>Sends an error from the hub to this connection.</summary>
    public void SendError(ReadOnlySpan<byte> correlationId, string code, string message, string? field = null)
    {
        if (IsClosing) return;
        SendAndRelease(HubMessageEncoder.Error(DeviceIdUtf8, correlationId, code, message, _time.GetUtcNow(), field));
    }

    /// <summary>
    /// Starts closing with <paramref name="code"/>: no more messages are accepted; when <paramref name="drain"/> the queued ones
    /// (e.g. the error explaining the close) are sent first. The close handshake is bounded by <see cref="MeshHubOptions.CloseTimeout"/>,
    /// after which the socket is aborted. Idempotent: the first code wins.
    /// </summary>
    public void Close(int code, string reason, bool drain)
    {
        if (CloseCore(code, reason, drain) && code != MeshCloseCodes.Normal) Log.Closing(_logger, Number, DeviceId, code, reason);
    }

    // Starts closing; true for the call that did (the first code wins).
    private bool CloseCore(int code, string reason, bool drain)
    {
        if (Interlocked.CompareExchange(ref _closeCode, code, 0) != 0) return false;
        _closeReason = reason;
        _phase = ConnectionPhase.Closing;
        if (!drain) _discardPending = true;
        _outbound.Complete();
        SignalRequestRoom();
        _wheel.Cancel(this);
        try
        {
            _closeCts.CancelAfter(_options.CloseTimeout);
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }
        return true;
    }

    /// <summary>Records a protocol violation; closes with <paramref name="closeCode"/> once the allowance is exceeded.</summary>
    public void RecordViolation(int closeCode, string reason)
    {
        if (_violations.Record())
        {
            Log.TooManyViolations(_logger, Number, DeviceId, _violations.Count, reason);
            AuditConnection("too_many_violations");
            Close(closeCode, "too many protocol violations: " + reason, drain: true);
        }
    }

    internal override void OnDeadline(long nowTimestamp)
    {
        if (IsClosing) return;
        if (_paused)
        {
            // Not reading because the hub paused this connection (backpressure): that is not the device's silence.
            _wheel.Schedule(this, nowTimestamp + _heartbeatTimeout);
            return;
        }
        switch (_phase)
        {
            case ConnectionPhase.AwaitingRegistration:
            case ConnectionPhase.Registering:
                _metrics.Dropped(DropReason.NotRegistered);
                Log.RegistrationTimeout(_logger, Number, Info.RemoteAddress);
                AuditConnection("registration_timeout");
                Close(MeshCloseCodes.PolicyViolation, "no register message within the registration timeout", drain: false);
                break;
            case ConnectionPhase.Registered:
                if (Identity is { } identity && _time.GetUtcNow() >= identity.ExpiresAt)
                {
                    // The token expired mid-session: the session ends with it, whether or not the device is still talking.
                    Log.TokenExpired(_logger, Number, DeviceId);
                    _audit?.TryWrite(AuditRecord.ForAuth(_time.GetUtcNow(), "expire_close", DeviceId, identity.TokenId, AuditOutcome.Denied, "token_expired"));
                    SendError(default, MeshErrorCodes.Unauthorized, "The token expired.");
                    Close(MeshCloseCodes.AuthFailed, "token expired", drain: true);
                    return;
                }
                long due = Volatile.Read(ref _lastActivity) + _heartbeatTimeout;
                if (due > nowTimestamp)
                {
                    _wheel.Schedule(this, Math.Min(due, ExpiryTimestamp(nowTimestamp)));
                    return;
                }
                Log.HeartbeatTimeout(_logger, Number, DeviceId);
                AuditConnection("heartbeat_timeout");
                Close(MeshCloseCodes.HeartbeatTimeout, "no traffic within the heartbeat timeout", drain: false);
                break;
        }
    }

    private void ScheduleHeartbeatDeadline() =>
        _wheel.Schedule(this, Math.Min(Volatile.Read(ref _lastActivity) + _heartbeatTimeout, ExpiryTimestamp(_time.GetTimestamp())));

    // When the token expires, on the wheel's clock (far future for tokens that outlive any session).
    private long ExpiryTimestamp(long nowTimestamp)
    {
        if (Identity is not { } identity) return long.MaxValue / 4;
        TimeSpan left = identity.ExpiresAt - _time.GetUtcNow();
        if (left <= TimeSpan.Zero) return nowTimestamp;
        return left > TimeSpan.FromDays(365) ? long.MaxValue / 4 : nowTimestamp + _wheel.ToTimestampDelta(left);
    }

    private async Task ReceiveLoopAsync()
    {
        // Until registration, only a register message of modest size is expected: an unauthenticated socket cannot make the
        // hub buffer a full-size message.
        using var reader = new WebSocketMessageReader(_socket, Math.Min(_options.MaxRegistrationBytes, _options.MaxMessageBytes));
        CancellationToken token = _closeCts.Token;
        while (true)
        {
            ReceiveStatus status = await reader.ReceiveAsync(token).ConfigureAwait(false);
            Volatile.Write(ref _lastActivity, _time.GetTimestamp());
            switch (status)
            {
                case ReceiveStatus.Closed:
                    RecordClientClose();
                    return;
                case ReceiveStatus.TooLarge:
                    _metrics.Received((int)Math.Min(int.MaxValue, reader.LastRejectedSize));
                    Reject(DropReason.TooLarge, new ProtocolError(ProtocolErrorCode.TooLarge, reader.MaxMessageBytes), MeshCloseCodes.MessageTooBig);
                    if (_phase != ConnectionPhase.Registered) Close(MeshCloseCodes.MessageTooBig, "register message too large", drain: true);
                    continue;
                case ReceiveStatus.InvalidUtf8:
                    Reject(DropReason.InvalidUtf8, new ProtocolError(ProtocolErrorCode.InvalidUtf8, 0), MeshCloseCodes.InvalidPayload);
                    continue;
            }
            if (IsClosing) continue;
            _metrics.Received((int)reader.Current.Length);
            if (!_rate.TryTake())
            {
                RejectRateLimited(reader.Current, reader.CurrentType);
                continue;
            }
            if (_phase == ConnectionPhase.Registered)
            {
                _backpressure.Enter();
                try
                {
                    _router.Route(this, reader.Current, reader.CurrentType);
                }
                finally
                {
                    _backpressure.Exit();
                }
                if (_backpressure.HasPressure) await PausedWhile(_backpressure.WaitAsync(token)).ConfigureAwait(false);
                if (PendingRequestCount >= _options.MaxPendingRequestsPerConnection) await PausedWhile(WaitForRequestRoomAsync(token)).ConfigureAwait(false);
                // The audit trail pushes back like a slow consumer rather than dropping what it was given.
                if (_audit is { IsBackpressured: true } audit) await PausedWhile(audit.WaitForCapacityAsync(token)).ConfigureAwait(false);
            }
            else if (_phase == ConnectionPhase.AwaitingRegistration)
            {
                await _registrar.HandleAsync(this, reader.Current, reader.CurrentType).ConfigureAwait(false);
                if (_phase == ConnectionPhase.Registered) reader.MaxMessageBytes = _options.MaxMessageBytes;
            }
        }
    }

    // Answered by the dropped message's id, so a requester fails that request at once instead of waiting for its timeout.
    private void RejectRateLimited(in ReadOnlySequence<byte> message, WebSocketMessageType type)
    {
        _metrics.Dropped(DropReason.RateLimited);
        Span<byte> idBuffer = stackalloc byte[EnvelopeText.MaxIdBytes];
        SendError(MessageIdScanner.Find(message, type, idBuffer), MeshErrorCodes.RateLimited, "Rate limit exceeded; the message was dropped.");
        RecordViolation(MeshCloseCodes.PolicyViolation, "rate limited");
    }

    // A message the reader discarded unread (over the size limit, or not UTF-8): no id is known, so the error has no correlation_id.
    private void Reject(DropReason reason, ProtocolError error, int closeCode)
    {
        _metrics.Dropped(reason);
        if (!IsClosing) SendAndRelease(HubMessageEncoder.ProtocolError(DeviceIdUtf8, default, error, _time.GetUtcNow()));
        RecordViolation(closeCode, reason.ToName());
    }

    // Stops reading this connection while the wait runs: until the recipients its last message filled have
    // drained, a request of its own completes, or the audit trail catches up. A paused connection is not silent: the
    // heartbeat deadline ignores the pause.
    private async ValueTask PausedWhile(ValueTask wait)
    {
        _metrics.SenderPaused();
        _paused = true;
        try
        {
            await wait.ConfigureAwait(false);
        }
        finally
        {
            _paused = false;
            Volatile.Write(ref _lastActivity, _time.GetTimestamp());
        }
    }

    // A connection with its whole budget of requests awaiting answers is not read until one completes (answer, error or
    // timeout): its requests are never refused for being many, and it can never hold more than its budget.
    private async ValueTask WaitForRequestRoomAsync(CancellationToken token)
    {
        while (true)
        {
            TaskCompletionSource room;
            lock (_requestRoomLock)
            {
                if (PendingRequestCount < _options.MaxPendingRequestsPerConnection || IsClosing) return;
                room = _requestRoom ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            await room.Task.WaitAsync(token).ConfigureAwait(false);
        }
    }

    private void SignalRequestRoom()
    {
        TaskCompletionSource? room;
        lock (_requestRoomLock)
        {
            room = _requestRoom;
            _requestRoom = null;
        }
        room?.TrySetResult();
    }

    private async Task SendLoopAsync()
    {
        CancellationToken write = _closeCts.Token;
        int discarded = 0;
        try
        {
            while (await _outbound.WaitToReadAsync(_closeCts.Token).ConfigureAwait(false))
            {
                int batched = 0;
                while (_outbound.TryDequeue(out OutboundFrame message))
                {
                    try
                    {
                        if (_discardPending)
                        {
                            discarded++;
                            continue;
                        }
                        if (_frames is null)
                        {
                            await WithinWriteDeadline(_socket.SendAsync(message.Memory, message.MessageType, endOfMessage: true, write)).ConfigureAwait(false);
                        }
                        else
                        {
                            if (!_frames.TryAppendFrame(message.MessageType, message.Span))
                            {
                                await WithinWriteDeadline(_frames.AppendFrameAsync(message.MessageType, message.Memory, write)).ConfigureAwait(false);
                            }
                            batched += message.Length;
                            if (batched >= FlushThresholdBytes)
                            {
                                await WithinWriteDeadline(new ValueTask(_frames.FlushAsync(write))).ConfigureAwait(false);
                                batched = 0;
                            }
                        }
                        _metrics.Sent(message.Length);
                    }
                    finally
                    {
                        message.Release();
                    }
                }
                // The queue ran empty: one write and one flush for the whole batch.
                if (batched > 0) await WithinWriteDeadline(new ValueTask(_frames!.FlushAsync(write))).ConfigureAwait(false);
            }
            await CloseSocketAsync(_closeCts.Token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The write deadline passed: WithinWriteDeadline closed the connection as a slow consumer and aborted it.
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            Log.TransportEnded(_logger, Number, DeviceId, ex.Message);
        }
        catch (Exception ex)
        {
            Log.SendLoopFailed(_logger, ex, Number, DeviceId);
        }
        finally
        {
            Close(MeshCloseCodes.InternalError, "send loop ended", drain: false);
            discarded += _outbound.DiscardAll();
            // Nothing accepted is lost silently: what a closing connection could not be sent is counted.
            if (discarded > 0) _metrics.Dropped(DropReason.ConnectionClosed, discarded);
        }
    }

    // Marks a write that did not complete at once with its start time; the hub's write-deadline sweep (CheckWriteDeadline)
    // closes the connection when one stays pending too long. No timer or task per write: the fast path is two stores.
    private async ValueTask WithinWriteDeadline(ValueTask write)
    {
        if (write.IsCompletedSuccessfully) return;
        Volatile.Write(ref _writeStarted, _time.GetTimestamp());
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception) when (_writeTimedOut)
        {
            throw new TimeoutException("The write deadline passed.");
        }
        finally
        {
            Volatile.Write(ref _writeStarted, 0);
        }
    }

    /// <summary>
    /// Called by the hub's periodic sweep: when a write has been pending for longer than the write deadline, the connection
    /// is first closed as a slow consumer (counted, audited, 1013) and only then aborted. The order matters: aborting makes
    /// the transport end the connection at once, which must not be mistaken for any other close.
    /// </summary>
    public void CheckWriteDeadline(long nowTimestamp)
    {
        long started = Volatile.Read(ref _writeStarted);
        if (started == 0 || IsClosing || _time.GetElapsedTime(started, nowTimestamp) < _options.WriteDeadline) return;
        // The same write still pending (not a newer one that just began)?
        if (Volatile.Read(ref _writeStarted) != started) return;
        _writeTimedOut = true;
        CloseSlowConsumer(SlowConsumerRule.WriteDeadline);
        _socket.Abort();
    }

    // A connection-level event (not a message): an audit row naming the device, or the address before registration.
    private void AuditConnection(string reason)
    {
        _audit?.TryWrite(AuditRecord.ForMessage(
            _time.GetUtcNow(), null, "connection", DeviceId.Length > 0 ? DeviceId : Info.RemoteAddress,
            Protocol.DeviceId.Hub, 0, AuditOutcome.Dropped, reason));
    }

    private void CloseSlowConsumer(SlowConsumerRule rule)
    {
        if (IsClosing) return;
        string name = rule.ToName();
        _metrics.SlowConsumer(name);
        if (rule == SlowConsumerRule.MaxPending) Log.MaxPendingExceeded(_logger, Number, DeviceId, _outbound.ControlBytes, _options.MaxPendingBytes);
        else Log.WriteDeadlineExceeded(_logger, Number, DeviceId, _options.WriteDeadline);
        AuditConnection("slow_consumer_" + name);
        Close(MeshCloseCodes.TryAgainLater, "slow consumer: " + name, drain: false);
    }

    // When the WebSocket layer itself failed the connection (e.g. invalid UTF-8 text: it sends 1007 and throws), its close
    // frame is already on the wire. Reading the peer's answering close before aborting lets the peer see that close
    // code; aborting at once can reset the TCP connection before the peer has read it. Bounded by a short timeout.
    private async Task AwaitPeerCloseAsync()
    {
        if (_socket.State != WebSocketState.CloseSent) return;
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(256);
        try
        {
            using var timeout = new CancellationTokenSource(PeerCloseWait);
            while (_socket.State == WebSocketState.CloseSent)
            {
                ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(buffer.AsMemory(), timeout.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close) break;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The peer did not answer in time or the transport is gone: the abort below ends it either way.
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The client's close frame arrived: it closed first unless it is the answer to the close this hub already sent.
    private void RecordClientClose()
    {
        if (_closeSent) return;
        ClientCloseStatus = (int)(_socket.CloseStatus ?? WebSocketCloseStatus.Empty);
        _clientCloseDescription = _socket.CloseStatusDescription;
    }

    private async Task CloseSocketAsync(CancellationToken token)
    {
        WebSocketState state = _socket.State;
        if (state is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            _closeSent = true;
            var status = (WebSocketCloseStatus)Volatile.Read(ref _closeCode);
            string reason = _closeReason.Length > 120 ? _closeReason[..120] : _closeReason;
            // The peer's answering close frame ends the receive loop; the close timeout bounds the wait for it.
            await _socket.CloseOutputAsync(status, reason, token).ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Debug, "Connection {Number} ({DeviceId}) transport ended: {Reason}")]
        public static partial void TransportEnded(ILogger logger, long number, string deviceId, string reason);

        [LoggerMessage(101, LogLevel.Error, "Connection {Number} ({DeviceId}) receive loop failed")]
        public static partial void ReceiveLoopFailed(ILogger logger, Exception exception, long number, string deviceId);

        [LoggerMessage(102, LogLevel.Error, "Connection {Number} ({DeviceId}) send loop failed")]
        public static partial void SendLoopFailed(ILogger logger, Exception exception, long number, string deviceId);

        [LoggerMessage(103, LogLevel.Warning, "Connection {Number} ({DeviceId}) is a slow consumer: {Pending} bytes pending, more than the {Max} allowed; closing it")]
        public static partial void MaxPendingExceeded(ILogger logger, long number, string deviceId, long pending, long max);

        [LoggerMessage(108, LogLevel.Warning, "Connection {Number} ({DeviceId}) is a slow consumer: a write made no progress for {Deadline}; closing it")]
        public static partial void WriteDeadlineExceeded(ILogger logger, long number, string deviceId, TimeSpan deadline);

        [LoggerMessage(104, LogLevel.Information, "Closing connection {Number} ({DeviceId}) with {Code}: {Reason}")]
        public static partial void Closing(ILogger logger, long number, string deviceId, int code, string reason);

        [LoggerMessage(105, LogLevel.Warning, "Connection {Number} ({DeviceId}) exceeded its violation allowance ({Count}, last: {Reason})")]
        public static partial void TooManyViolations(ILogger logger, long number, string deviceId, int count, string reason);

        [LoggerMessage(106, LogLevel.Warning, "Connection {Number} from {Remote} sent no register message in time")]
        public static partial void RegistrationTimeout(ILogger logger, long number, string? remote);

        [LoggerMessage(109, LogLevel.Information, "Closing connection {Number} ({DeviceId}): its token expired")]
        public static partial void TokenExpired(ILogger logger, long number, string deviceId);

        [LoggerMessage(107, LogLevel.Warning, "Device {DeviceId} (connection {Number}) missed its heartbeats; marking it offline")]
        public static partial void HeartbeatTimeout(ILogger logger, long number, string deviceId);

        [LoggerMessage(110, LogLevel.Information, "Connection {Number} ({DeviceId}) closed by the client: {Code} {Status} '{Description}'")]
        public static partial void ClientClosed(ILogger logger, long number, string deviceId, int code, WebSocketCloseStatus status, string description);

        [LoggerMessage(111, LogLevel.Information, "Connection {Number} ({DeviceId}) lost: the transport was aborted ({Reason})")]
        public static partial void TransportAborted(ILogger logger, long number, string deviceId, string reason);
    }
}
