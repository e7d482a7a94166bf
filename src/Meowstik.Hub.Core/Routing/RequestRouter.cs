using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Hub.Core;

/// <summary>
/// Commands and queries, and the answers to them: authorizes a request, resolves its target (a device, or every device the
/// sender may command for <c>broadcast</c>), tracks it in the <see cref="CorrelationTable"/> until its <c>response</c> or
/// <c>error</c> arrives from the device it was sent to, or it times out, and routes the answer back to the requester (a
/// connection, or the host API's waiter). Runs inline on the sender's receive loop and never waits.
/// </summary>
internal sealed class RequestRouter
{
    private readonly DeviceRegistry _registry;
    private readonly CorrelationTable _correlation;
    private readonly AuthManager _auth;
    private readonly IStateStore _state;
    private readonly MeshHubOptions _options;
    private readonly TimeProvider _time;
    private readonly NameCache _names;
    private readonly HubMetrics _metrics;
    private readonly DeliveryOutcomes _outcomes;
    private readonly EnvelopeStamper _stamper;

    public RequestRouter(
        DeviceRegistry registry, CorrelationTable correlation, AuthManager auth, IStateStore state, MeshHubOptions options,
        TimeProvider time, NameCache names, HubMetrics metrics, DeliveryOutcomes outcomes, EnvelopeStamper stamper)
    {
        _registry = registry;
        _correlation = correlation;
        _auth = auth;
        _state = state;
        _options = options;
        _time = time;
        _names = names;
        _metrics = metrics;
        _outcomes = outcomes;
        _stamper = stamper;
    }

    /// <summary>Routes a <c>command</c> or <c>query</c> addressed to a device or to <c>broadcast</c>.</summary>
    public void RouteRequest(MeshConnection sender, in MeshEnvelope envelope, in ReadOnlySequence<byte> raw, ReadOnlySpan<byte> id, long start)
    {
        if (!CommandPayload.TryRead(envelope, out CommandPayload command, out ProtocolError error))
        {
            _outcomes.RejectProtocol(sender, envelope.Type, id, envelope.Length, error);
            return;
        }
        MeshAction action = envelope.Type == MessageType.Command ? MeshAction.Command : MeshAction.Query;
        Span<byte> actionBuffer = stackalloc byte[128];
        string? actionName = _names.Intern(EnvelopeText.Copy(command.Action, actionBuffer));
        long timeoutMs = command.TimeoutMs > 0
            ? (long)Math.Min(command.TimeoutMs, _options.MaxRequestTimeout.TotalMilliseconds)
            : (long)_options.DefaultRequestTimeout.TotalMilliseconds;

        if (envelope.IsBroadcast)
        {
            RouteBroadcastRequest(sender, envelope, raw, id, action, actionName, timeoutMs, start);
            return;
        }

        Span<char> targetBuffer = stackalloc char[DeviceId.MaxLength];
        ReadOnlySpan<char> target = EnvelopeText.DeviceId(envelope.To, targetBuffer);
        AuthDecision decision = _auth.Authorize(sender.Identity!, action, target);
        if (!decision.IsAllowed)
        {
            _outcomes.Deny(sender, envelope.Type, id, target, envelope.Length, decision);
            return;
        }
        if (!_registry.TryGet(target, out MeshConnection recipient) || recipient.IsClosing)
        {
            _outcomes.TargetMissing(sender, envelope, raw, id, target, start);
            return;
        }
        if (envelope.Type == MessageType.Query && !AllowsQuery(recipient, actionName))
        {
            _outcomes.DenyNotAQuery(sender, envelope.Type, id, recipient.DeviceId, envelope.Length, actionName);
            return;
        }

        Span<byte> finalId = stackalloc byte[EnvelopeText.MaxIdBytes];
        OutboundFrame message = _stamper.Stamp(sender, envelope, raw, id, default, finalId, out int finalIdLength);
        PendingRequest pending = _correlation.Rent();
        pending.TrySetId(finalId[..finalIdLength]);
        pending.Type = envelope.Type;
        pending.Requester = sender;
        pending.Target = recipient;
        pending.TargetDeviceId = recipient.DeviceId;
        pending.Action = actionName;
        pending.StartTimestamp = start;
        if (!TryTrack(pending, timeoutMs, message, sender, envelope, id, recipient.DeviceId)) return;
        EnqueueResult queued = recipient.SendAndRelease(message);
        if (queued != EnqueueResult.Queued)
        {
            if (_correlation.TryRemove(pending)) _correlation.Return(pending);
            _outcomes.Reject(sender, envelope.Type, id, recipient.DeviceId, envelope.Length, DropReason.DeviceOffline, MeshErrorCodes.DeviceOffline,
                "The target device went offline.");
            return;
        }
        _outcomes.Delivered(sender, envelope.Type, finalId[..finalIdLength], recipient.DeviceId, envelope.Length, start);
    }

    /// <summary>Routes a <c>response</c> or <c>error</c> to the request it answers (<c>correlation_id</c>).</summary>
    public void RouteAnswer(MeshConnection sender, in MeshEnvelope envelope, in ReadOnlySequence<byte> raw, ReadOnlySpan<byte> id, long start)
    {
        DateTimeOffset now = _time.GetUtcNow();
        AuthDecision decision = _auth.Authorize(sender.Identity!, MeshAction.Response, "");
        if (!decision.IsAllowed)
        {
            _outcomes.Deny(sender, envelope.Type, id, default, envelope.Length, decision);
            return;
        }
        if (!envelope.CorrelationId.IsPresent)
        {
            // An unsolicited response (as in the design document's examples): kept as last-known state, not routed.
            if (envelope.Type == MessageType.Response && sender.KeepsState)
            {
                Span<byte> nameBuffer = stackalloc byte[128];
                Span<char> nameChars = stackalloc char[128];
                ReadOnlySpan<char> action = EnvelopeText.ToChars(EnvelopeText.PayloadString(envelope.Payload, "action"u8, nameBuffer), nameChars);
                _state.SetResponse(sender.DeviceId, action, envelope.Payload, now);
            }
            _outcomes.Delivered(sender, envelope.Type, id, DeviceId.Hub, envelope.Length, start);
            return;
        }
        Span<byte> correlationBuffer = stackalloc byte[EnvelopeText.MaxIdBytes];
        ReadOnlySpan<byte> correlationId = EnvelopeText.Copy(envelope.CorrelationId, correlationBuffer);
        CorrelationTable.TakeResult taken = _correlation.TryTake(correlationId, sender, out RequestOrigin origin, out PendingRequest? pending);
        if (taken == CorrelationTable.TakeResult.NotFound)
        {
            // Late (after its timeout) or bogus: the requester already got its answer; count and audit, nothing to send.
            _outcomes.NoPendingRequest(sender, envelope.Type, id, envelope.Length);
            return;
        }
        if (taken == CorrelationTable.TakeResult.WrongResponder)
        {
            _outcomes.Reject(sender, envelope.Type, id, null, envelope.Length, DropReason.Forbidden, MeshErrorCodes.Forbidden,
                "This connection was not asked the request named by correlation_id.", "correlation_id");
            return;
        }
        try
        {
            if (envelope.Type == MessageType.Response && origin.Action is not null && sender.KeepsState)
            {
                _state.SetResponse(sender.DeviceId, origin.Action, envelope.Payload, now);
            }
            if (origin.HostWaiter is not null)
            {
                CompleteHostRequest(origin.HostWaiter, sender, envelope, id, correlationId, now);
                _metrics.Routed();
                _metrics.RoutingLatency(start);
            }
            else if (origin.Requester is { } requester)
            {
                if (requester.IsClosing)
                {
                    _metrics.Dropped(DropReason.ConnectionClosed);
                    return;
                }
                Span<byte> finalId = stackalloc byte[EnvelopeText.MaxIdBytes];
                OutboundFrame message = _stamper.Stamp(sender, envelope, raw, id, requester.DeviceIdUtf8, finalId, out int finalIdLength);
                if (requester.SendAndRelease(message) == EnqueueResult.Queued)
                {
                    _outcomes.Delivered(sender, envelope.Type, finalId[..finalIdLength], requester.DeviceId, envelope.Length, start);
                }
                else
                {
                    _metrics.Dropped(DropReason.ConnectionClosed);
                }
            }
        }
        finally
        {
            if (pending is not null) _correlation.Return(pending);
        }
    }

    /// <summary>Sends a command/query from the host (the hub itself is the requester).</summary>
    public (PendingRequest Pending, Task<MeshReply> Response) SendFromHost(MessageType type, string deviceId, string action, ReadOnlySpan<byte> parameters, TimeSpan timeout)
    {
        if (!_registry.TryGet(deviceId, out MeshConnection target) || target.IsClosing)
        {
            bool known = _state.IsKnown(deviceId);
            _metrics.Dropped(known ? DropReason.DeviceOffline : DropReason.UnknownDevice);
            throw new MeshRequestException(known ? MeshErrorCodes.DeviceOffline : MeshErrorCodes.UnknownDevice,
                known ? $"Device '{deviceId}' is offline." : $"Device '{deviceId}' is not known to the hub.", deviceId);
        }
        var pending = new PendingRequest(_correlation, pooled: false)
        {
            Type = type,
            HostWaiter = new TaskCompletionSource<MeshReply>(TaskCreationOptions.RunContinuationsAsynchronously),
            Target = target,
            TargetDeviceId = target.DeviceId,
            Action = _names.Intern(action),
            StartTimestamp = Stopwatch.GetTimestamp(),
        };
        DateTimeOffset now = _time.GetUtcNow();
        OutboundFrame message = OutboundFrame.Rent();
        Utf8JsonWriter json = HubMessageEncoder.Begin(message, type, target.DeviceIdUtf8, default, now);
        CommandPayload.Write(json, Encoding.UTF8.GetBytes(action), parameters, (long)Math.Ceiling(timeout.TotalMilliseconds));
        HubMessageEncoder.End();
        pending.TrySetId(HubMessageEncoder.LastId);
        long due = _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);
        if (_correlation.TryAdd(pending, due) != CorrelationTable.AddResult.Added)
        {
            message.Release();
            _metrics.Dropped(DropReason.Overloaded);
            throw new MeshRequestException(MeshErrorCodes.Overloaded, "Too many pending requests.", deviceId);
        }
        EnqueueResult queued = target.SendAndRelease(message);
        if (queued != EnqueueResult.Queued)
        {
            _correlation.TryRemove(pending);
            _metrics.Dropped(DropReason.DeviceOffline);
            throw new MeshRequestException(MeshErrorCodes.DeviceOffline, $"Device '{deviceId}' went offline.", deviceId);
        }
        _metrics.Routed();
        return (pending, pending.HostWaiter.Task);
    }

    /// <summary>A request expired: the requester gets a <c>timeout</c> error.</summary>
    public void OnRequestTimeout(PendingRequest request) =>
        Fail(request, MeshErrorCodes.Timeout, "No response within the request timeout.", DropReason.Timeout);

    /// <summary>Fails every request sent to a connection that ended with <c>device_offline</c>.</summary>
    public void FailRequestsTo(MeshConnection connection)
    {
        foreach (PendingRequest request in _correlation.TakeAllFor(connection))
        {
            Fail(request, MeshErrorCodes.DeviceOffline, "The device disconnected before answering.", DropReason.DeviceOffline);
        }
    }

    // Completes a request that was removed from the table without a response, and returns it to the pool.
    private void Fail(PendingRequest request, string code, string message, DropReason reason)
    {
        try
        {
            _outcomes.RequestFailed(request, code, message, reason);
        }
        finally
        {
            _correlation.Return(request);
        }
    }

    // Why a request could not be tracked: a reused id is the sender's mistake; a spent budget is overload, with which budget.
    /// <summary>
    /// Enters a forwarded request in the correlation table until its timeout. When the table refuses it (a reused id, a
    /// budget), the message is not sent: it is released with the pending entry and the sender is answered.
    /// </summary>
    private bool TryTrack(PendingRequest pending, long timeoutMs, OutboundFrame message, MeshConnection sender, in MeshEnvelope envelope, ReadOnlySpan<byte> id, string target)
    {
        long due = _time.GetTimestamp() + timeoutMs * _time.TimestampFrequency / 1000;
        CorrelationTable.AddResult added = _correlation.TryAdd(pending, due);
        if (added == CorrelationTable.AddResult.Added) return true;
        message.Release();
        _correlation.Return(pending);
        RejectUntracked(sender, envelope, id, target, added);
        return false;
    }

    private void RejectUntracked(MeshConnection sender, in MeshEnvelope envelope, ReadOnlySpan<byte> id, string to, CorrelationTable.AddResult added)
    {
        (DropReason reason, string code, string message, string? field) = added switch
        {
            CorrelationTable.AddResult.Duplicate => (DropReason.DuplicateRequestId, MeshErrorCodes.InvalidRequest, "A request with this id is already pending.", "id"),
            CorrelationTable.AddResult.ConnectionBudget => (DropReason.Overloaded, MeshErrorCodes.Overloaded,
                $"This connection has {_options.MaxPendingRequestsPerConnection} requests awaiting responses; wait for some to complete.", (string?)null),
            CorrelationTable.AddResult.TokenBudget => (DropReason.Overloaded, MeshErrorCodes.Overloaded,
                $"This token's connections have {_options.MaxPendingRequestsPerToken} requests awaiting responses; wait for some to complete.", null),
            _ => (DropReason.Overloaded, MeshErrorCodes.Overloaded, "The hub has too many pending requests.", null),
        };
        _outcomes.Reject(sender, envelope.Type, id, to, envelope.Length, reason, code, message, field);
    }

    private void RouteBroadcastRequest(
        MeshConnection sender, in MeshEnvelope envelope, in ReadOnlySequence<byte> raw, ReadOnlySpan<byte> id,
        MeshAction action, string? actionName, long timeoutMs, long start)
    {
        Span<byte> finalId = stackalloc byte[EnvelopeText.MaxIdBytes];
        OutboundFrame message = _stamper.Stamp(sender, envelope, raw, id, default, finalId, out int finalIdLength);
        PendingRequest pending = _correlation.Rent();
        pending.TrySetId(finalId[..finalIdLength]);
        pending.Type = envelope.Type;
        pending.Requester = sender;
        pending.IsBroadcast = true;
        pending.Action = actionName;
        pending.StartTimestamp = start;
        // A broadcast request collects answers until it expires, so it holds its table entry for its whole timeout: it never
        // waits longer than the default timeout, whatever it asks for.
        timeoutMs = Math.Min(timeoutMs, (long)_options.DefaultRequestTimeout.TotalMilliseconds);
        if (!TryTrack(pending, timeoutMs, message, sender, envelope, id, DeviceId.Broadcast)) return;
        (int delivered, int denied) = FanOut(sender, message, action, actionName);
        message.Release();
        if (delivered == 0 && denied > 0)
        {
            if (_correlation.TryRemove(pending)) _correlation.Return(pending);
            _outcomes.Deny(sender, envelope.Type, id, DeviceId.Broadcast, envelope.Length,
                _auth.Authorize(sender.Identity!, action, "*"));
            return;
        }
        _outcomes.Delivered(sender, envelope.Type, finalId[..finalIdLength], DeviceId.Broadcast, envelope.Length, start, delivered);
    }

    // Queues a broadcast command/query to every device and creator client the sender may send it to (a query only to devices
    // that declared the action read-only); returns (delivered, denied).
    private (int Delivered, int Denied) FanOut(MeshConnection sender, OutboundFrame message, MeshAction action, string? actionName)
    {
        int delivered = 0, denied = 0;
        foreach (MeshConnection recipient in _registry.Snapshot)
        {
            if (ReferenceEquals(recipient, sender) || recipient.IsClosing || recipient.Identity is null) continue;
            if (!recipient.ReceivesBroadcasts) continue;
            if (action == MeshAction.Query && !AllowsQuery(recipient, actionName))
            {
                denied++;
                continue;
            }
            if (!_auth.Authorize(sender.Identity!, action, recipient.DeviceId).IsAllowed)
            {
                denied++;
                continue;
            }
            if (recipient.Send(message) == EnqueueResult.Queued) delivered++;
        }
        return (delivered, denied);
    }

    private static bool AllowsQuery(MeshConnection recipient, string? action) =>
        recipient.Registration is not { } registration || registration.AllowsQuery(action);

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
}
