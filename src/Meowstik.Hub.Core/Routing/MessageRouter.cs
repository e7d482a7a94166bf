using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;

namespace Meowstik.Hub.Core;

/// <summary>
/// Routes every message of a registered connection: validates <c>from</c> (never trusted), authorizes, resolves <c>to</c>
/// (device / <c>broadcast</c> / <c>hub</c>), tracks commands and queries until their response or timeout, and queues the bytes
/// to the recipients. Original bytes are forwarded when <c>from</c>, <c>id</c> and <c>timestamp</c> are already right; otherwise
/// the envelope is re-encoded once with the stamped fields. Runs inline on the sender's receive loop and never waits.
/// </summary>
internal sealed partial class MessageRouter
{
    private readonly MeshHub _hub;

    public MessageRouter(MeshHub hub) => _hub = hub;

    public void Route(MeshConnection sender, in ReadOnlySequence<byte> raw, WebSocketMessageType messageType)
    {
        long start = Stopwatch.GetTimestamp();
        if (messageType == WebSocketMessageType.Binary)
        {
            if (!sender.SupportsBinaryStreams)
            {
                // Binary frames are a protocol extension: only a device that announced binary_streams may send them.
                Reject(sender, MessageType.Stream, default, null, raw.Length, DropReason.InvalidRequest, MeshErrorCodes.InvalidRequest,
                    "Binary frames need the binary_streams feature, announced at registration.", violation: true);
                return;
            }
            _hub.Streams.RouteBinary(sender, raw, start);
            return;
        }
        if (!EnvelopeReader.TryRead(raw, out MeshEnvelope envelope, out ProtocolError error, _hub.Limits))
        {
            RejectProtocol(sender, MessageType.Unknown, default, raw.Length, error);
            return;
        }
        Span<byte> idBuffer = stackalloc byte[EnvelopeText.MaxIdBytes];
        ReadOnlySpan<byte> id = EnvelopeText.Copy(envelope.Id, idBuffer);
        if (envelope.From.IsPresent && !envelope.From.ValueEquals(sender.DeviceIdUtf8))
        {
            Reject(sender, envelope.Type, id, null, envelope.Length, DropReason.SpoofedFrom, MeshErrorCodes.Forbidden,
                "'from' must be the registered device id of this connection.", "from", violation: true);
            return;
        }
        switch (envelope.Type)
        {
            case MessageType.Heartbeat:
                OnHeartbeat(sender, envelope, id, start);
                break;
            case MessageType.Command:
            case MessageType.Query:
                RouteRequest(sender, envelope, raw, id, start);
                break;
            case MessageType.Response:
            case MessageType.Error:
                RouteResponse(sender, envelope, raw, id, start);
                break;
            case MessageType.Event:
                RouteEvent(sender, envelope, raw, id, start);
                break;
            case MessageType.Stream:
                _hub.Streams.Route(sender, envelope, raw, id, start);
                break;
            default:
                Reject(sender, envelope.Type, id, DeviceId.Hub, envelope.Length, DropReason.InvalidRequest, MeshErrorCodes.InvalidRequest,
                    "This connection is already registered.");
                break;
        }
    }

    /// <summary>
    /// Returns the bytes to queue for <paramref name="envelope"/>: the original bytes when <c>from</c>, <c>id</c>, <c>timestamp</c>
    /// (and, when given, <paramref name="to"/>) are already right, otherwise a re-encoded envelope stamped with the sender's id.
    /// The id the recipients see is written to <paramref name="finalId"/>.
    /// </summary>
    public OutboundFrame Forward(
        MeshConnection sender,
        in MeshEnvelope envelope,
        in ReadOnlySequence<byte> raw,
        ReadOnlySpan<byte> id,
        ReadOnlySpan<byte> to,
        Span<byte> finalId,
        out int finalIdLength)
    {
        bool toIsRight = to.IsEmpty || envelope.To.ValueEquals(to);
        if (envelope.From.IsPresent && !id.IsEmpty && envelope.Timestamp.IsPresent && toIsRight)
        {
            id.CopyTo(finalId);
            finalIdLength = id.Length;
            return OutboundFrame.Copy(raw, WebSocketMessageType.Text);
        }
        Span<byte> toBuffer = stackalloc byte[DeviceId.MaxLength];
        Span<byte> correlationBuffer = stackalloc byte[EnvelopeText.MaxIdBytes];
        var header = new EnvelopeHeader(envelope.Type)
        {
            Id = id,
            From = sender.DeviceIdUtf8,
            To = to.IsEmpty ? EnvelopeText.Copy(envelope.To, toBuffer) : to,
            CorrelationId = EnvelopeText.Copy(envelope.CorrelationId, correlationBuffer),
            Timestamp = envelope.TimestampValue ?? _hub.Time.GetUtcNow(),
        };
        OutboundFrame message = OutboundFrame.Rent();
        if (envelope.HasPayload)
        {
            Utf8JsonWriter json = HubMessageEncoder.Begin(message, header);
            envelope.Payload.WriteRawValueTo(json);
            HubMessageEncoder.End();
        }
        else
        {
            HubMessageEncoder.Write(message, header, default);
        }
        ReadOnlySpan<byte> written = HubMessageEncoder.LastId;
        written.CopyTo(finalId);
        finalIdLength = written.Length;
        return message;
    }

    /// <summary>Announces <c>device_connected</c>/<c>device_offline</c> to every device allowed to observe <paramref name="device"/>, and to host subscribers.</summary>
    public void AnnouncePresence(MeshConnection device, ReadOnlySpan<byte> eventName, DateTimeOffset now)
    {
        OutboundFrame message = OutboundFrame.Rent();
        Utf8JsonWriter json = HubMessageEncoder.Begin(message, MessageType.Event, DeviceId.BroadcastUtf8, default, now);
        WritePresencePayload(json, device, eventName);
        HubMessageEncoder.End();
        int delivered = 0;
        foreach (MeshConnection recipient in _hub.Registry.Snapshot)
        {
            if (ReferenceEquals(recipient, device) || recipient.IsClosing || recipient.Identity is null) continue;
            if (!_hub.Auth.Authorize(recipient.Identity, MeshAction.Observe, device.DeviceId).IsAllowed) continue;
            if (recipient.Send(message) == EnqueueResult.Queued) delivered++;
        }
        _hub.Metrics.Routed(delivered);
        if (_hub.Events.HasSubscribers)
        {
            var payload = new ArrayBufferWriter<byte>(256);
            using (var writer = new Utf8JsonWriter(payload)) WritePresencePayload(writer, device, eventName);
            using JsonDocument document = JsonDocument.Parse(payload.WrittenMemory);
            _hub.Events.Publish(new MeshEvent(DeviceId.Hub, Encoding.UTF8.GetString(eventName), document.RootElement.Clone(), now));
        }
        message.Release();
    }

    /// <summary>Sends a command/query from the host (the hub itself is the requester).</summary>
    public (PendingRequest Pending, Task<MeshReply> Response) SendFromHost(MessageType type, string deviceId, string action, ReadOnlySpan<byte> parameters, TimeSpan timeout)
    {
        if (!_hub.Registry.TryGet(deviceId, out MeshConnection target) || target.IsClosing)
        {
            bool known = _hub.State.IsKnown(deviceId);
            _hub.Metrics.Dropped(known ? DropReason.DeviceOffline : DropReason.UnknownDevice);
            throw new MeshRequestException(known ? MeshErrorCodes.DeviceOffline : MeshErrorCodes.UnknownDevice,
                known ? $"Device '{deviceId}' is offline." : $"Device '{deviceId}' is not known to the hub.", deviceId);
        }
        var pending = new PendingRequest(_hub.Correlation, pooled: false)
        {
            Type = type,
            HostWaiter = new TaskCompletionSource<MeshReply>(TaskCreationOptions.RunContinuationsAsynchronously),
            Target = target,
            TargetDeviceId = target.DeviceId,
            Action = _hub.Names.Intern(action),
            StartTimestamp = Stopwatch.GetTimestamp(),
        };
        DateTimeOffset now = _hub.Time.GetUtcNow();
        OutboundFrame message = OutboundFrame.Rent();
        Utf8JsonWriter json = HubMessageEncoder.Begin(message, type, target.DeviceIdUtf8, default, now);
        CommandPayload.Write(json, Encoding.UTF8.GetBytes(action), parameters, (long)Math.Ceiling(timeout.TotalMilliseconds));
        HubMessageEncoder.End();
        pending.TrySetId(HubMessageEncoder.LastId);
        long due = _hub.Time.GetTimestamp() + _hub.Wheel.ToTimestampDelta(timeout);
        if (_hub.Correlation.TryAdd(pending, due) != CorrelationTable.AddResult.Added)
        {
            message.Release();
            _hub.Metrics.Dropped(DropReason.Overloaded);
            throw new MeshRequestException(MeshErrorCodes.Overloaded, "Too many pending requests.", deviceId);
        }
        EnqueueResult queued = target.SendAndRelease(message);
        if (queued != EnqueueResult.Queued)
        {
            _hub.Correlation.TryRemove(pending);
            _hub.Metrics.Dropped(DropReason.DeviceOffline);
            throw new MeshRequestException(MeshErrorCodes.DeviceOffline, $"Device '{deviceId}' went offline.", deviceId);
        }
        _hub.Metrics.Routed();
        return (pending, pending.HostWaiter.Task);
    }

    /// <summary>
    /// Family and guest connections are people's clients, not devices: broadcasts (the host's, and broadcast commands and
    /// queries) never reach them. They see only what concerns the devices they may observe.
    /// </summary>
    private static bool AllowsQuery(MeshConnection recipient, string? action) =>
        recipient.Registration is not { } registration || registration.AllowsQuery(action);

    private static bool HasState(MeshConnection connection) => connection.Identity?.Role is MeshRole.Device or MeshRole.Creator;

    private static bool ReceivesBroadcasts(MeshConnection recipient) => recipient.Identity?.Role is MeshRole.Device or MeshRole.Creator;

    /// <summary>Broadcasts a message from the host to every registered device and creator client; returns the number of recipients.</summary>
    public int BroadcastFromHost(MessageType type, ReadOnlySpan<byte> payload)
    {
        OutboundFrame message = OutboundFrame.Rent();
        var header = new EnvelopeHeader(type) { From = DeviceId.HubUtf8, To = DeviceId.BroadcastUtf8, Timestamp = _hub.Time.GetUtcNow() };
        HubMessageEncoder.Write(message, header, payload);
        int delivered = 0;
        foreach (MeshConnection recipient in _hub.Registry.Snapshot)
        {
            if (recipient.IsClosing || !ReceivesBroadcasts(recipient)) continue;
            if (recipient.Send(message) == EnqueueResult.Queued) delivered++;
        }
        message.Release();
        _hub.Metrics.Routed(delivered);
        return delivered;
    }

    /// <summary>A request expired: the requester gets a <c>timeout</c> error.</summary>
    public void OnRequestTimeout(PendingRequest request) =>
        FailRequest(request, MeshErrorCodes.Timeout, "No response within the request timeout.", DropReason.Timeout);

    /// <summary>Completes a request that was removed from the table without a response, and returns it to the pool.</summary>
    public void FailRequest(PendingRequest request, string code, string message, DropReason reason)
    {
        try
        {
            if (request.IsBroadcast) return;
            _hub.Metrics.Dropped(reason);
            DateTimeOffset now = _hub.Time.GetUtcNow();
            Log.RequestFailed(_hub.Logger, request.TargetDeviceId, code);
            if (request.HostWaiter is not null)
            {
                request.HostWaiter.TrySetException(new MeshRequestException(code, message, request.TargetDeviceId));
            }
            else if (request.Requester is { IsClosing: false } requester)
            {
                requester.SendAndRelease(HubMessageEncoder.Error(requester.DeviceIdUtf8, request.Id, code, message, now));
            }
            _hub.Audit?.TryWrite(AuditRecord.ForMessage(
                now, Encoding.UTF8.GetString(request.Id), MessageTypes.GetName(request.Type),
                request.Requester?.DeviceId ?? DeviceId.Hub, request.TargetDeviceId, 0, AuditOutcome.Dropped, code));
        }
        finally
        {
            _hub.Correlation.Return(request);
        }
    }

    /// <summary>Records a delivery: metrics (count, latency) and, when enabled, an audit row.</summary>
    public void Delivered(MeshConnection sender, MessageType type, ReadOnlySpan<byte> id, string to, long size, long start, int recipients = 1)
    {
        _hub.Metrics.Routed(recipients);
        _hub.Metrics.RoutingLatency(start);
        if (_hub.Options.AuditDeliveredMessages && _hub.Audit is { } audit)
        {
            audit.TryWriteMessage(_hub.Time.GetUtcNow(), id, MessageTypes.GetName(type), sender.DeviceId, to, (int)size, AuditOutcome.Delivered);
        }
    }

    /// <summary>Refuses a message: an <c>error</c> to the sender (never a silent drop), a drop count, a log line and an audit row.</summary>
    public void Reject(
        MeshConnection sender,
        MessageType type,
        ReadOnlySpan<byte> id,
        string? to,
        long size,
        DropReason reason,
        string code,
        string message,
        string? field = null,
        bool violation = false)
    {
        _hub.Metrics.Dropped(reason);
        Log.Rejected(_hub.Logger, MessageTypes.GetName(type), sender.DeviceId, to, reason.ToName());
        _hub.Audit?.TryWriteMessage(_hub.Time.GetUtcNow(), id, MessageTypes.GetName(type), sender.DeviceId, to, (int)size, AuditOutcome.Rejected, reason.ToName());
        sender.SendError(id, code, message, field);
        if (violation) sender.RecordViolation(MeshCloseCodes.PolicyViolation, reason.ToName());
    }

    /// <summary>Refuses an action the sender's role or grants do not allow (also audited as an auth decision).</summary>
    public void Deny(MeshConnection sender, MessageType type, ReadOnlySpan<byte> id, ReadOnlySpan<char> target, long size, AuthDecision decision)
    {
        string reason = decision.Reason.ToCode();
        string to = target.IsEmpty ? DeviceId.Hub : target.ToString();
        _hub.Audit?.TryWrite(AuditRecord.ForAuth(_hub.Time.GetUtcNow(), "authorize", sender.DeviceId, to, AuditOutcome.Denied, reason, MessageTypes.GetName(type)));
        if (decision.Reason is DenialReason.TokenExpired or DenialReason.TokenRevoked)
        {
            // The identity itself is no longer valid: nothing it sends will pass, so end the session.
            Reject(sender, type, id, to, size, DropReason.Unauthorized, MeshErrorCodes.Unauthorized, "The token is no longer valid: " + reason + ".");
            sender.Close(decision.Reason == DenialReason.TokenRevoked ? MeshCloseCodes.TokenRevoked : MeshCloseCodes.AuthFailed, reason, drain: true);
            return;
        }
        Reject(sender, type, id, to, size, DropReason.Forbidden, MeshErrorCodes.Forbidden, "Not allowed: " + reason + ".", null);
    }

    /// <summary>Refuses a message the codec (or a payload reader) rejected.</summary>
    public void RejectProtocol(MeshConnection sender, MessageType type, ReadOnlySpan<byte> id, long size, in ProtocolError error)
    {
        _hub.Metrics.Dropped(DropReason.ProtocolError);
        Log.Rejected(_hub.Logger, MessageTypes.GetName(type), sender.DeviceId, null, ProtocolErrorCodes.GetWireName(error.Code));
        _hub.Audit?.TryWriteMessage(_hub.Time.GetUtcNow(), id, MessageTypes.GetName(type), sender.DeviceId, null, (int)size, AuditOutcome.Rejected,
            ProtocolErrorCodes.GetWireName(error.Code));
        if (!sender.IsClosing) sender.SendAndRelease(HubMessageEncoder.ProtocolError(sender.DeviceIdUtf8, id, error, _hub.Time.GetUtcNow()));
        sender.RecordViolation(MeshCloseCodes.PolicyViolation, "protocol_error");
    }

    /// <summary>The target is not connected here: try the backplane, else <c>device_offline</c> / <c>unknown_device</c>.</summary>
    public void TargetMissing(MeshConnection sender, in MeshEnvelope envelope, in ReadOnlySequence<byte> raw, ReadOnlySpan<byte> id, ReadOnlySpan<char> target, long start)
    {
        Span<byte> finalId = stackalloc byte[EnvelopeText.MaxIdBytes];
        OutboundFrame message = Forward(sender, envelope, raw, id, default, finalId, out int finalIdLength);
        bool remote = _hub.Backplane.TryRouteRemote(target, message.Span);
        message.Release();
        if (remote)
        {
            Delivered(sender, envelope.Type, finalId[..finalIdLength], target.ToString(), envelope.Length, start);
            return;
        }
        bool known = _hub.State.IsKnown(target);
        Reject(sender, envelope.Type, id, target.ToString(), envelope.Length,
            known ? DropReason.DeviceOffline : DropReason.UnknownDevice,
            known ? MeshErrorCodes.DeviceOffline : MeshErrorCodes.UnknownDevice,
            known ? "The target device is offline." : "The target device is not known to the hub.");
    }

    /// <summary>Queues one message to every registered connection but the sender that passes the filters; returns (delivered, denied).</summary>
    public (int Delivered, int Denied) FanOut(MeshConnection sender, OutboundFrame message, MeshAction senderAction, bool recipientMustObserve, string? queryAction = null)
    {
        int delivered = 0, denied = 0;
        foreach (MeshConnection recipient in _hub.Registry.Snapshot)
        {
            if (ReferenceEquals(recipient, sender) || recipient.IsClosing || recipient.Identity is null) continue;
            if (senderAction is MeshAction.Command or MeshAction.Query && !ReceivesBroadcasts(recipient)) continue;
            if (senderAction == MeshAction.Query && !AllowsQuery(recipient, queryAction))
            {
                denied++;
                continue;
            }
            if (senderAction is MeshAction.Command or MeshAction.Query
                && !_hub.Auth.Authorize(sender.Identity!, senderAction, recipient.DeviceId).IsAllowed)
            {
                denied++;
                continue;
            }
            if (recipientMustObserve && !_hub.Auth.Authorize(recipient.Identity, MeshAction.Observe, sender.DeviceId).IsAllowed)
            {
                continue;
            }
            if (recipient.Send(message) == EnqueueResult.Queued) delivered++;
        }
        return (delivered, denied);
    }

    private void OnHeartbeat(MeshConnection sender, in MeshEnvelope envelope, ReadOnlySpan<byte> id, long start)
    {
        DateTimeOffset now = _hub.Time.GetUtcNow();
        // Heartbeats are authorized like everything else: an expired or revoked token must not keep a session alive.
        AuthDecision decision = _hub.Auth.Authorize(sender.Identity!, MeshAction.Heartbeat, DeviceId.Hub);
        if (!decision.IsAllowed)
        {
            Deny(sender, MessageType.Heartbeat, id, default, envelope.Length, decision);
            return;
        }
        if (envelope.HasPayload && !HeartbeatPayload.TryRead(envelope.Payload, out _, out ProtocolError error))
        {
            RejectProtocol(sender, MessageType.Heartbeat, id, envelope.Length, error);
            return;
        }
        if (HasState(sender)) _hub.State.SetHeartbeat(sender.DeviceId, envelope.Payload, now);
        Delivered(sender, MessageType.Heartbeat, id, DeviceId.Hub, envelope.Length, start);
        if (!_hub.Options.EchoHeartbeats) return;
        OutboundFrame reply = OutboundFrame.Rent();
        Utf8JsonWriter json = HubMessageEncoder.Begin(reply, MessageType.Heartbeat, sender.DeviceIdUtf8, id, now);
        HeartbeatPayload.Write(json, new HeartbeatPayload((long)(now - _hub.StartedAt).TotalSeconds, GC.GetTotalMemory(false) / (1024.0 * 1024.0), 0));
        HubMessageEncoder.End();
        sender.SendAndRelease(reply);
    }

    private void RouteRequest(MeshConnection sender, in MeshEnvelope envelope, in ReadOnlySequence<byte> raw, ReadOnlySpan<byte> id, long start)
    {
        if (envelope.IsToHub)
        {
            _hub.HubActions.Handle(sender, envelope, id, start);
            return;
        }
        if (!CommandPayload.TryRead(envelope, out CommandPayload command, out ProtocolError error))
        {
            RejectProtocol(sender, envelope.Type, id, envelope.Length, error);
            return;
        }
        MeshAction action = envelope.Type == MessageType.Command ? MeshAction.Command : MeshAction.Query;
        Span<byte> actionBuffer = stackalloc byte[128];
        string? actionName = _hub.Names.Intern(EnvelopeText.Copy(command.Action, actionBuffer));
        long timeoutMs = command.TimeoutMs > 0
            ? (long)Math.Min(command.TimeoutMs, _hub.Options.MaxRequestTimeout.TotalMilliseconds)
            : (long)_hub.Options.DefaultRequestTimeout.TotalMilliseconds;

        if (envelope.IsBroadcast)
        {
            BroadcastRequest(sender, envelope, raw, id, action, actionName, timeoutMs, start);
            return;
        }

        Span<char> targetBuffer = stackalloc char[DeviceId.MaxLength];
        ReadOnlySpan<char> target = EnvelopeText.DeviceId(envelope.To, targetBuffer);
        AuthDecision decision = _hub.Auth.Authorize(sender.Identity!, action, target);
        if (!decision.IsAllowed)
        {
            Deny(sender, envelope.Type, id, target, envelope.Length, decision);
            return;
        }
        if (!_hub.Registry.TryGet(target, out MeshConnection recipient) || recipient.IsClosing)
        {
            TargetMissing(sender, envelope, raw, id, target, start);
            return;
        }
        if (envelope.Type == MessageType.Query && !AllowsQuery(recipient, actionName))
        {
            // A query may only run what the device declared read-only: a query-only role must not reach a command handler.
            _hub.Audit?.TryWrite(AuditRecord.ForAuth(_hub.Time.GetUtcNow(), "authorize", sender.DeviceId, recipient.DeviceId, AuditOutcome.Denied, "action_is_not_a_query", "query"));
            Reject(sender, envelope.Type, id, recipient.DeviceId, envelope.Length, DropReason.Forbidden, MeshErrorCodes.Forbidden,
                $"'{actionName}' is not a query on {recipient.DeviceId}: it changes state, so it must be sent as a command (which this token may not be allowed to send).",
                "payload.action");
            return;
        }

        Span<byte> finalId = stackalloc byte[EnvelopeText.MaxIdBytes];
        OutboundFrame message = Forward(sender, envelope, raw, id, default, finalId, out int finalIdLength);
        PendingRequest pending = _hub.Correlation.Rent();
        pending.TrySetId(finalId[..finalIdLength]);
        pending.Type = envelope.Type;
        pending.Requester = sender;
        pending.Target = recipient;
        pending.TargetDeviceId = recipient.DeviceId;
        pending.Action = actionName;
        pending.StartTimestamp = start;
        long due = _hub.Time.GetTimestamp() + timeoutMs * _hub.Time.TimestampFrequency / 1000;
        CorrelationTable.AddResult added = _hub.Correlation.TryAdd(pending, due);
        if (added != CorrelationTable.AddResult.Added)
        {
            message.Release();
            _hub.Correlation.Return(pending);
            RejectPending(sender, envelope, id, recipient.DeviceId, added);
            return;
        }
        EnqueueResult queued = recipient.SendAndRelease(message);
        if (queued != EnqueueResult.Queued)
        {
            if (_hub.Correlation.TryRemove(pending)) _hub.Correlation.Return(pending);
            Reject(sender, envelope.Type, id, recipient.DeviceId, envelope.Length, DropReason.DeviceOffline, MeshErrorCodes.DeviceOffline,
                "The target device went offline.");
            return;
        }
        Delivered(sender, envelope.Type, finalId[..finalIdLength], recipient.DeviceId, envelope.Length, start);
    }

    // Why a request could not be tracked: a reused id is the sender's mistake; a spent budget is overload, with which budget.
    private void RejectPending(MeshConnection sender, in MeshEnvelope envelope, ReadOnlySpan<byte> id, string to, CorrelationTable.AddResult added)
    {
        (DropReason reason, string code, string message, string? field) = added switch
        {
            CorrelationTable.AddResult.Duplicate => (DropReason.DuplicateRequestId, MeshErrorCodes.InvalidRequest, "A request with this id is already pending.", "id"),
            CorrelationTable.AddResult.ConnectionBudget => (DropReason.Overloaded, MeshErrorCodes.Overloaded,
                $"This connection has {_hub.Options.MaxPendingRequestsPerConnection} requests awaiting responses; wait for some to complete.", (string?)null),
            CorrelationTable.AddResult.TokenBudget => (DropReason.Overloaded, MeshErrorCodes.Overloaded,
                $"This token's connections have {_hub.Options.MaxPendingRequestsPerToken} requests awaiting responses; wait for some to complete.", null),
            _ => (DropReason.Overloaded, MeshErrorCodes.Overloaded, "The hub has too many pending requests.", null),
        };
        Reject(sender, envelope.Type, id, to, envelope.Length, reason, code, message, field);
    }

    private void BroadcastRequest(
        MeshConnection sender, in MeshEnvelope envelope, in ReadOnlySequence<byte> raw, ReadOnlySpan<byte> id,
        MeshAction action, string? actionName, long timeoutMs, long start)
    {
        Span<byte> finalId = stackalloc byte[EnvelopeText.MaxIdBytes];
        OutboundFrame message = Forward(sender, envelope, raw, id, default, finalId, out int finalIdLength);
        PendingRequest pending = _hub.Correlation.Rent();
        pending.TrySetId(finalId[..finalIdLength]);
        pending.Type = envelope.Type;
        pending.Requester = sender;
        pending.IsBroadcast = true;
        pending.Action = actionName;
        pending.StartTimestamp = start;
        // A broadcast request collects answers until it expires, so it holds its table entry for its whole timeout: it never
        // waits longer than the default timeout, whatever it asks for.
        timeoutMs = Math.Min(timeoutMs, (long)_hub.Options.DefaultRequestTimeout.TotalMilliseconds);
        long due = _hub.Time.GetTimestamp() + timeoutMs * _hub.Time.TimestampFrequency / 1000;
        CorrelationTable.AddResult added = _hub.Correlation.TryAdd(pending, due);
        if (added != CorrelationTable.AddResult.Added)
        {
            message.Release();
            _hub.Correlation.Return(pending);
            RejectPending(sender, envelope, id, DeviceId.Broadcast, added);
            return;
        }
        (int delivered, int denied) = FanOut(sender, message, action, recipientMustObserve: false, actionName);
        message.Release();
        if (delivered == 0 && denied > 0)
        {
            if (_hub.Correlation.TryRemove(pending)) _hub.Correlation.Return(pending);
            Deny(sender, envelope.Type, id, DeviceId.Broadcast, envelope.Length,
                _hub.Auth.Authorize(sender.Identity!, action, "*"));
            return;
        }
        Delivered(sender, envelope.Type, finalId[..finalIdLength], DeviceId.Broadcast, envelope.Length, start, delivered);
    }

    private void RouteResponse(MeshConnection sender, in MeshEnvelope envelope, in ReadOnlySequence<byte> raw, ReadOnlySpan<byte> id, long start)
    {
        DateTimeOffset now = _hub.Time.GetUtcNow();
        AuthDecision decision = _hub.Auth.Authorize(sender.Identity!, MeshAction.Response, "");
        if (!decision.IsAllowed)
        {
            Deny(sender, envelope.Type, id, default, envelope.Length, decision);
            return;
        }
        if (!envelope.CorrelationId.IsPresent)
        {
            // An unsolicited response (as in the design document's examples): kept as last-known state, not routed.
            if (envelope.Type == MessageType.Response && HasState(sender))
            {
                Span<byte> nameBuffer = stackalloc byte[128];
                Span<char> nameChars = stackalloc char[128];
                ReadOnlySpan<char> action = EnvelopeText.ToChars(EnvelopeText.PayloadString(envelope.Payload, "action"u8, nameBuffer), nameChars);
                _hub.State.SetResponse(sender.DeviceId, action, envelope.Payload, now);
            }
            Delivered(sender, envelope.Type, id, DeviceId.Hub, envelope.Length, start);
            return;
        }
        Span<byte> correlationBuffer = stackalloc byte[EnvelopeText.MaxIdBytes];
        ReadOnlySpan<byte> correlationId = EnvelopeText.Copy(envelope.CorrelationId, correlationBuffer);
        CorrelationTable.TakeResult taken = _hub.Correlation.TryTake(correlationId, sender, out RequestOrigin origin, out PendingRequest? pending);
        if (taken == CorrelationTable.TakeResult.NotFound)
        {
            // Late (after its timeout) or bogus: the requester already got its answer; count and audit, nothing to send.
            _hub.Metrics.Dropped(DropReason.NoPendingRequest);
            Log.Rejected(_hub.Logger, MessageTypes.GetName(envelope.Type), sender.DeviceId, null, DropReason.NoPendingRequest.ToName());
            _hub.Audit?.TryWrite(AuditRecord.ForMessage(now, id.IsEmpty ? null : Encoding.UTF8.GetString(id), MessageTypes.GetName(envelope.Type),
                sender.DeviceId, null, (int)envelope.Length, AuditOutcome.Dropped, DropReason.NoPendingRequest.ToName()));
            return;
        }
        if (taken == CorrelationTable.TakeResult.WrongResponder)
        {
            Reject(sender, envelope.Type, id, null, envelope.Length, DropReason.Forbidden, MeshErrorCodes.Forbidden,
                "This connection was not asked the request named by correlation_id.", "correlation_id");
            return;
        }
        try
        {
            if (envelope.Type == MessageType.Response && origin.Action is not null && HasState(sender))
            {
                _hub.State.SetResponse(sender.DeviceId, origin.Action, envelope.Payload, now);
            }
            if (origin.HostWaiter is not null)
            {
                CompleteHostRequest(origin.HostWaiter, sender, envelope, id, correlationId, now);
                _hub.Metrics.Routed();
                _hub.Metrics.RoutingLatency(start);
            }
            else if (origin.Requester is { } requester)
            {
                if (requester.IsClosing)
                {
                    _hub.Metrics.Dropped(DropReason.ConnectionClosed);
                    return;
                }
                Span<byte> finalId = stackalloc byte[EnvelopeText.MaxIdBytes];
                OutboundFrame message = Forward(sender, envelope, raw, id, requester.DeviceIdUtf8, finalId, out int finalIdLength);
                if (requester.SendAndRelease(message) == EnqueueResult.Queued)
                {
                    Delivered(sender, envelope.Type, finalId[..finalIdLength], requester.DeviceId, envelope.Length, start);
                }
                else
                {
                    _hub.Metrics.Dropped(DropReason.ConnectionClosed);
                }
            }
        }
        finally
        {
            if (pending is not null) _hub.Correlation.Return(pending);
        }
    }

    private static void CompleteHostRequest(
        TaskCompletionSource<MeshReply> waiter, MeshConnection sender, in MeshEnvelope envelope,
        ReadOnlySpan<byte> id, ReadOnlySpan<byte> correlationId, DateTimeOffset now)
    {
        if (envelope.Type == MessageType.Error)
        {
            string code = "error", message = "The device answered with an error.";
            if (ErrorPayload.TryRead(envelope.Payload, out ErrorPayload error, out _))
            {
                code = error.Code.GetString() ?? code;
                message = error.Message.GetString() ?? message;
            }
            waiter.TrySetException(new MeshRequestException(code, message, sender.DeviceId));
            return;
        }
        waiter.TrySetResult(new MeshReply(
            sender.DeviceId,
            id.IsEmpty ? null : Encoding.UTF8.GetString(id),
            Encoding.UTF8.GetString(correlationId),
            JsonBytes.Parse(envelope.Payload),
            envelope.TimestampValue ?? now));
    }

    private void RouteEvent(MeshConnection sender, in MeshEnvelope envelope, in ReadOnlySequence<byte> raw, ReadOnlySpan<byte> id, long start)
    {
        DateTimeOffset now = _hub.Time.GetUtcNow();
        Span<byte> nameBuffer = stackalloc byte[128];
        Span<char> nameChars = stackalloc char[128];
        ReadOnlySpan<char> name = EnvelopeText.ToChars(EnvelopeText.PayloadString(envelope.Payload, "event"u8, nameBuffer), nameChars);
        Span<char> targetBuffer = stackalloc char[DeviceId.MaxLength];
        ReadOnlySpan<char> target = envelope.IsToHub ? default : envelope.IsBroadcast ? "*" : EnvelopeText.DeviceId(envelope.To, targetBuffer);
        AuthDecision decision = _hub.Auth.Authorize(sender.Identity!, MeshAction.Event, target);
        if (!decision.IsAllowed)
        {
            Deny(sender, envelope.Type, id, target, envelope.Length, decision);
            return;
        }

        MeshConnection? recipient = null;
        if (!envelope.IsToHub && !envelope.IsBroadcast)
        {
            if (!_hub.Registry.TryGet(target, out recipient) || recipient.IsClosing)
            {
                TargetMissing(sender, envelope, raw, id, target, start);
                return;
            }
        }

        if (HasState(sender)) _hub.State.SetEvent(sender.DeviceId, name, envelope.Payload, now);
        _hub.Events.Publish(sender.DeviceId, name, envelope.Payload, envelope.TimestampValue ?? now);
        if (envelope.IsToHub)
        {
            Delivered(sender, envelope.Type, id, DeviceId.Hub, envelope.Length, start);
            return;
        }
        Span<byte> finalId = stackalloc byte[EnvelopeText.MaxIdBytes];
        OutboundFrame message = Forward(sender, envelope, raw, id, default, finalId, out int finalIdLength);
        if (recipient is not null)
        {
            EnqueueResult queued = recipient.SendAndRelease(message);
            if (queued == EnqueueResult.Queued) Delivered(sender, envelope.Type, finalId[..finalIdLength], recipient.DeviceId, envelope.Length, start);
            else Reject(sender, envelope.Type, id, recipient.DeviceId, envelope.Length, DropReason.DeviceOffline, MeshErrorCodes.DeviceOffline, "The target device went offline.");
            return;
        }
        (int delivered, _) = FanOut(sender, message, MeshAction.Event, recipientMustObserve: true);
        message.Release();
        Delivered(sender, envelope.Type, finalId[..finalIdLength], DeviceId.Broadcast, envelope.Length, start, delivered);
    }

    private static void WritePresencePayload(Utf8JsonWriter json, MeshConnection device, ReadOnlySpan<byte> eventName)
    {
        json.WriteStartObject();
        json.WriteString("event"u8, eventName);
        json.WriteString("device_id"u8, device.DeviceIdUtf8);
        if (device.Registration?.DeviceName is { } name) json.WriteString("device_name"u8, name);
        if (device.Registration?.DeviceType is { } type) json.WriteString("device_type"u8, type);
        if (device.Registration is { } registration)
        {
            json.WriteStartArray("capabilities"u8);
            foreach (string capability in registration.Capabilities) json.WriteStringValue(capability);
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Debug, "Rejected {Type} from {DeviceId} to {To}: {Reason}")]
        public static partial void Rejected(ILogger logger, string type, string deviceId, string? to, string reason);

        [LoggerMessage(301, LogLevel.Debug, "Request to {DeviceId} failed: {Code}")]
        public static partial void RequestFailed(ILogger logger, string? deviceId, string code);
    }
}
