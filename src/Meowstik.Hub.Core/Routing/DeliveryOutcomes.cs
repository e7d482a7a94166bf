using System.Buffers;
using System.Text;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;

namespace Meowstik.Hub.Core;

/// <summary>
/// The bookkeeping of what became of a routed message, in one place for every part of the hub that routes (requests, events,
/// streams, heartbeats, hub actions): a delivery is counted (and audited when <see cref="MeshHubOptions.AuditDeliveredMessages"/>);
/// a refusal is never silent: an <c>error</c> to the sender carrying the message's id as <c>correlation_id</c>, a drop
/// count, a log line and an audit row; a denial is also audited as an auth decision; a request that ends without an answer
/// fails its requester.
/// </summary>
internal sealed partial class DeliveryOutcomes
{
    private readonly HubMetrics _metrics;
    private readonly IAuditSink? _audit;
    private readonly MeshHubOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IMeshBackplane _backplane;
    private readonly IStateStore _state;
    private readonly EnvelopeStamper _stamper;

    /// <param name="metrics">Routed, latency and drop counts.</param>
    /// <param name="audit">Audit rows; none when null.</param>
    /// <param name="options">Whether deliveries are audited too (<see cref="MeshHubOptions.AuditDeliveredMessages"/>; refusals always are).</param>
    /// <param name="time">The clock for error and audit timestamps.</param>
    /// <param name="logger">Refusal log lines (Debug).</param>
    /// <param name="backplane">Offered messages whose target is not connected here.</param>
    /// <param name="state">Tells an offline device (it registered before) from an unknown one.</param>
    /// <param name="stamper">Stamps a message before it is offered to the backplane.</param>
    public DeliveryOutcomes(
        HubMetrics metrics, IAuditSink? audit, MeshHubOptions options, TimeProvider time, ILogger logger,
        IMeshBackplane backplane, IStateStore state, EnvelopeStamper stamper)
    {
        _metrics = metrics;
        _audit = audit;
        _options = options;
        _time = time;
        _logger = logger;
        _backplane = backplane;
        _state = state;
        _stamper = stamper;
    }

    /// <summary>Records a delivery: metrics (count, latency) and, when enabled, an audit row.</summary>
    public void Delivered(MeshConnection sender, MessageType type, ReadOnlySpan<byte> id, string to, long size, long start, int recipients = 1)
    {
        _metrics.Routed(recipients);
        _metrics.RoutingLatency(start);
        if (_options.AuditDeliveredMessages && _audit is { } audit)
        {
            audit.TryWriteMessage(_time.GetUtcNow(), id, MessageTypes.GetName(type), sender.DeviceId, to, (int)size, AuditOutcome.Delivered);
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
        _metrics.Dropped(reason);
        Log.Rejected(_logger, MessageTypes.GetName(type), sender.DeviceId, to, reason.ToName());
        _audit?.TryWriteMessage(_time.GetUtcNow(), id, MessageTypes.GetName(type), sender.DeviceId, to, (int)size, AuditOutcome.Rejected, reason.ToName());
        sender.SendError(id, code, message, field);
        if (violation) sender.RecordViolation(MeshCloseCodes.PolicyViolation, reason.ToName());
    }

    /// <summary>Refuses an action the sender's role or grants do not allow (also audited as an auth decision).</summary>
    public void Deny(MeshConnection sender, MessageType type, ReadOnlySpan<byte> id, ReadOnlySpan<char> target, long size, AuthDecision decision)
    {
        string reason = decision.Reason.ToCode();
        string to = target.IsEmpty ? DeviceId.Hub : target.ToString();
        _audit?.TryWrite(AuditRecord.ForAuth(_time.GetUtcNow(), "authorize", sender.DeviceId, to, AuditOutcome.Denied, reason, MessageTypes.GetName(type)));
        if (decision.Reason is DenialReason.TokenExpired or DenialReason.TokenRevoked)
        {
            // The identity itself is no longer valid: nothing it sends will pass, so end the session.
            Reject(sender, type, id, to, size, DropReason.Unauthorized, MeshErrorCodes.Unauthorized, "The token is no longer valid: " + reason + ".");
            sender.Close(decision.Reason == DenialReason.TokenRevoked ? MeshCloseCodes.TokenRevoked : MeshCloseCodes.AuthFailed, reason, drain: true);
            return;
        }
        Reject(sender, type, id, to, size, DropReason.Forbidden, MeshErrorCodes.Forbidden, "Not allowed: " + reason + ".", null);
    }

    /// <summary>
    /// Refuses a query naming an action its target declared a command (a query may only run what the device declared
    /// read-only, so a query-only role never reaches a command handler); audited as an auth decision.
    /// </summary>
    public void DenyNotAQuery(MeshConnection sender, MessageType type, ReadOnlySpan<byte> id, string to, long size, string? action)
    {
        _audit?.TryWrite(AuditRecord.ForAuth(_time.GetUtcNow(), "authorize", sender.DeviceId, to, AuditOutcome.Denied, "action_is_not_a_query", "query"));
        Reject(sender, type, id, to, size, DropReason.Forbidden, MeshErrorCodes.Forbidden,
            $"'{action}' is not a query on {to}: it changes state, so it must be sent as a command (which this token may not be allowed to send).",
            "payload.action");
    }

    /// <summary>Refuses a message the codec (or a payload reader) rejected.</summary>
    public void RejectProtocol(MeshConnection sender, MessageType type, ReadOnlySpan<byte> id, long size, in ProtocolError error)
    {
        _metrics.Dropped(DropReason.ProtocolError);
        Log.Rejected(_logger, MessageTypes.GetName(type), sender.DeviceId, null, ProtocolErrorCodes.GetWireName(error.Code));
        _audit?.TryWriteMessage(_time.GetUtcNow(), id, MessageTypes.GetName(type), sender.DeviceId, null, (int)size, AuditOutcome.Rejected,
            ProtocolErrorCodes.GetWireName(error.Code));
        if (!sender.IsClosing) sender.SendAndRelease(HubMessageEncoder.ProtocolError(sender.DeviceIdUtf8, id, error, _time.GetUtcNow()));
        sender.RecordViolation(MeshCloseCodes.PolicyViolation, "protocol_error");
    }

    /// <summary>The target is not connected here: try the backplane, else <c>device_offline</c> / <c>unknown_device</c>.</summary>
    public void TargetMissing(MeshConnection sender, in MeshEnvelope envelope, in ReadOnlySequence<byte> raw, ReadOnlySpan<byte> id, ReadOnlySpan<char> target, long start)
    {
        Span<byte> finalId = stackalloc byte[EnvelopeText.MaxIdBytes];
        OutboundFrame message = _stamper.Stamp(sender, envelope, raw, id, default, finalId, out int finalIdLength);
        bool remote = _backplane.TryRouteRemote(target, message.Span);
        message.Release();
        if (remote)
        {
            Delivered(sender, envelope.Type, finalId[..finalIdLength], target.ToString(), envelope.Length, start);
            return;
        }
        bool known = _state.IsKnown(target);
        Reject(sender, envelope.Type, id, target.ToString(), envelope.Length,
            known ? DropReason.DeviceOffline : DropReason.UnknownDevice,
            known ? MeshErrorCodes.DeviceOffline : MeshErrorCodes.UnknownDevice,
            known ? "The target device is offline." : "The target device is not known to the hub.");
    }

    /// <summary>A response or error naming no pending request (late, after its timeout, or bogus): counted and audited, nothing to send.</summary>
    public void NoPendingRequest(MeshConnection sender, MessageType type, ReadOnlySpan<byte> id, long size)
    {
        _metrics.Dropped(DropReason.NoPendingRequest);
        Log.Rejected(_logger, MessageTypes.GetName(type), sender.DeviceId, null, DropReason.NoPendingRequest.ToName());
        _audit?.TryWrite(AuditRecord.ForMessage(_time.GetUtcNow(), id.IsEmpty ? null : Encoding.UTF8.GetString(id), MessageTypes.GetName(type),
            sender.DeviceId, null, (int)size, AuditOutcome.Dropped, DropReason.NoPendingRequest.ToName()));
    }

    /// <summary>
    /// A request left the correlation table without an answer (timeout, target gone): its requester (a connection, or the
    /// host's waiter) gets <paramref name="code"/>, with the request's id as <c>correlation_id</c>. Broadcast requests expire
    /// silently. The caller returns the entry to the pool.
    /// </summary>
    public void RequestFailed(PendingRequest request, string code, string message, DropReason reason)
    {
        if (request.IsBroadcast) return;
        _metrics.Dropped(reason);
        DateTimeOffset now = _time.GetUtcNow();
        Log.RequestFailed(_logger, request.TargetDeviceId, code);
        if (request.HostWaiter is not null)
        {
            request.HostWaiter.TrySetException(new MeshRequestException(code, message, request.TargetDeviceId));
        }
        else if (request.Requester is { IsClosing: false } requester)
        {
            requester.SendAndRelease(HubMessageEncoder.Error(requester.DeviceIdUtf8, request.Id, code, message, now));
        }
        _audit?.TryWrite(AuditRecord.ForMessage(
            now, Encoding.UTF8.GetString(request.Id), MessageTypes.GetName(request.Type),
            request.Requester?.DeviceId ?? DeviceId.Hub, request.TargetDeviceId, 0, AuditOutcome.Dropped, code));
    }

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Debug, "Rejected {Type} from {DeviceId} to {To}: {Reason}")]
        public static partial void Rejected(ILogger logger, string type, string deviceId, string? to, string reason);

        [LoggerMessage(301, LogLevel.Debug, "Request to {DeviceId} failed: {Code}")]
        public static partial void RequestFailed(ILogger logger, string? deviceId, string code);
    }
}
