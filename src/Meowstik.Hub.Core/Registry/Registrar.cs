using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;

namespace Meowstik.Hub.Core;

/// <summary>
/// The registration state machine's decisions: authenticate the token (transport or <c>auth_token</c>), decide the device id
/// (a device token is bound to one id and <c>from</c> must match it), replace a previous connection with the same id (closed
/// with 4003), reply <c>registered</c>, and announce <c>device_connected</c>. Also the reverse on disconnect.
/// </summary>
/// <remarks>
/// Creator tokens may register under any id but the reserved ones (<c>hub</c>, <c>broadcast</c>). Family and guest tokens are
/// people's clients, not devices: their ids always start with <c>family-</c> / <c>guest-</c> (generated when they send no
/// <c>from</c>), a namespace no device or creator may register in, so a client can never squat a device's id, receive what
/// is meant for a device, or speak as one; and a client id is held by one person at a time.
/// </remarks>
internal sealed partial class Registrar
{
    private readonly AuthManager _auth;
    private readonly ConnectionAdmission _admission;
    private readonly DeviceRegistry _registry;
    private readonly IStateStore _state;
    private readonly IMeshBackplane _backplane;
    private readonly EventRouter _events;
    private readonly MeshHubOptions _options;
    private readonly ProtocolLimits _limits;
    private readonly TimeProvider _time;
    private readonly HubMetrics _metrics;
    private readonly IAuditSink? _audit;
    private readonly ILogger _logger;

    // Who first claimed each id: "device" for device/creator registrations, "<role>:<subject>" for client registrations.
    private readonly ConcurrentDictionary<string, string> _owners = new(StringComparer.Ordinal);

    /// <param name="auth">Authenticates the token and authorizes the device id.</param>
    /// <param name="admission">Holds the per-token connection budget.</param>
    /// <param name="registry">Where the registered connection is found by its device id.</param>
    /// <param name="state">Last-known registration and presence.</param>
    /// <param name="backplane">Told about presence changes.</param>
    /// <param name="events">Announces <c>device_connected</c>/<c>device_offline</c>.</param>
    /// <param name="options">The per-token connection budget and the heartbeat interval announced in the reply.</param>
    /// <param name="limits">Codec limits for the register message.</param>
    /// <param name="time">The clock.</param>
    /// <param name="metrics">Drop and refusal counts.</param>
    /// <param name="audit">Registration decisions; none when null.</param>
    /// <param name="logger">Registrations, refusals, replacements, offline.</param>
    public Registrar(
        AuthManager auth, ConnectionAdmission admission, DeviceRegistry registry, IStateStore state, IMeshBackplane backplane,
        EventRouter events, MeshHubOptions options, ProtocolLimits limits, TimeProvider time, HubMetrics metrics, IAuditSink? audit, ILogger logger)
    {
        _auth = auth;
        _admission = admission;
        _registry = registry;
        _state = state;
        _backplane = backplane;
        _events = events;
        _options = options;
        _limits = limits;
        _time = time;
        _metrics = metrics;
        _audit = audit;
        _logger = logger;
    }

    public async ValueTask HandleAsync(MeshConnection connection, ReadOnlySequence<byte> raw, WebSocketMessageType messageType)
    {
        Span<byte> idBuffer = stackalloc byte[EnvelopeText.MaxIdBytes];
        if (messageType != WebSocketMessageType.Text)
        {
            Reject(connection, MessageIdScanner.Find(raw, messageType, idBuffer), DropReason.NotRegistered, MeshErrorCodes.NotRegistered,
                "The first message must be a register message.");
            return;
        }
        if (!RegistrationRequest.TryParse(raw, _limits, out RegistrationRequest? request, out ProtocolError error, out MessageType type, out byte[] messageId))
        {
            if (error.IsError)
            {
                // The codec may have refused the envelope before its id was read; the error still answers it by id when one is readable.
                ReadOnlySpan<byte> id = messageId.Length > 0 ? messageId : MessageIdScanner.Find(raw, messageType, idBuffer);
                _metrics.Dropped(DropReason.ProtocolError);
                connection.SendAndRelease(HubMessageEncoder.ProtocolError(default, id, error, _time.GetUtcNow()));
                connection.RecordViolation(MeshCloseCodes.PolicyViolation, "protocol_error");
            }
            else
            {
                Reject(connection, messageId, DropReason.NotRegistered, MeshErrorCodes.NotRegistered,
                    $"The first message must be register, not {MessageTypes.GetName(type)}.");
            }
            return;
        }

        connection.MarkRegistering();
        try
        {
            await RegisterAsync(connection, request!).ConfigureAwait(false);
        }
        finally
        {
            connection.MarkAwaitingRegistration();
        }
    }

    /// <summary>
    /// The reverse of registration, once the connection ended (its stream subscriptions and the requests sent to it are
    /// already gone): frees its device id and, unless a newer connection replaced it, marks it offline and announces
    /// <c>device_offline</c>.
    /// </summary>
    public void OnDisconnected(MeshConnection connection)
    {
        if (connection.Identity is not { } identity || connection.DeviceId.Length == 0) return;
        bool removed = _registry.Remove(connection.DeviceId, connection);
        if (removed && identity.Role is MeshRole.Family or MeshRole.Guest)
        {
            // A client id is held only while connected (the same person may take it again; nobody else can meanwhile).
            _owners.TryRemove(new KeyValuePair<string, string>(connection.DeviceId, OwnerOf(identity)));
        }
        if (!removed || connection.WasReplaced) return;
        DateTimeOffset now = _time.GetUtcNow();
        _state.SetOffline(connection.DeviceId, now);
        _backplane.PublishPresence(connection.DeviceId, online: false, now);
        Log.Offline(_logger, connection.DeviceId, connection.ClientCloseStatus ?? connection.CloseCode);
        _events.AnnouncePresence(connection, "device_offline"u8, now);
    }

    private async Task RegisterAsync(MeshConnection connection, RegistrationRequest request)
    {
        string? token = connection.Info.Token ?? request.AuthToken;
        if (string.IsNullOrEmpty(token))
        {
            Fail(connection, request, MeshErrorCodes.Unauthorized, "token_missing", "A token is required (?token=, Authorization: Bearer, or payload.auth_token).", MeshCloseCodes.AuthFailed);
            return;
        }
        // The upgrade's token was already checked (and audited) at accept; revocation since then is caught below.
        AuthResult result = connection.UpgradeIdentity is { } proved && ReferenceEquals(token, connection.Info.Token)
            ? AuthResult.Success(proved)
            : await _auth.AuthenticateAsync(token, connection.Info.RemoteAddress).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            string reason = result.Failure.ToCode();
            Fail(connection, request, MeshErrorCodes.Unauthorized, reason, "Authentication failed: " + reason + ".",
                result.Failure == AuthFailure.Revoked ? MeshCloseCodes.TokenRevoked : MeshCloseCodes.AuthFailed);
            return;
        }
        MeshIdentity identity = result.Identity;
        if (!TryChooseDeviceId(connection, request, identity, out string deviceId, out string? failure, out int closeCode))
        {
            Fail(connection, request, closeCode == MeshCloseCodes.AuthFailed ? MeshErrorCodes.Unauthorized : MeshErrorCodes.Forbidden,
                failure!, "Registration refused: " + failure + ".", closeCode);
            return;
        }
        if (connection.IsClosing)
        {
            ReleaseClientId(deviceId, identity);
            return;
        }
        if (!_admission.TryRegister(connection, identity.TokenId))
        {
            ReleaseClientId(deviceId, identity);
            _metrics.ConnectionRefused("token_limit");
            Fail(connection, request, MeshErrorCodes.Overloaded, "token_connection_limit",
                $"This token already holds {_options.MaxConnectionsPerToken} connections.", MeshCloseCodes.TryAgainLater);
            return;
        }

        DateTimeOffset now = _time.GetUtcNow();
        connection.SetRegistered(identity, deviceId, Contains(request.Features, "binary_streams"));
        MeshConnection? previous = _registry.Register(deviceId, connection);
        if (previous is not null)
        {
            previous.MarkReplaced();
            Log.Replaced(_logger, deviceId, previous.Number, connection.Number);
            // What was already queued for the old connection still goes out (bounded by the close timeout) before 4003.
            previous.Close(MeshCloseCodes.Replaced, "replaced by a newer connection", drain: true);
        }
        // A revocation that raced the registration: its event found no connection with this identity yet.
        if (identity.IsRevoked)
        {
            Fail(connection, request, MeshErrorCodes.Unauthorized, "token_revoked", "The token was revoked.", MeshCloseCodes.TokenRevoked);
            return;
        }

        var registration = new DeviceRegistration(
            deviceId, request.DeviceType, request.DeviceName, request.Capabilities, request.Features,
            connection.Info.PathKind, identity.Role.ToString().ToLowerInvariant())
        {
            Queries = request.Queries,
            Commands = request.Commands,
            Actions = request.Actions?.ToDictionary(static p => p.Key, static p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal),
        };
        connection.Registration = registration;
        // Only devices and creators have last-known state; people's clients (family, guest) leave nothing behind.
        if (identity.Role is MeshRole.Device or MeshRole.Creator) _state.SetRegistered(registration, now);
        _backplane.PublishPresence(deviceId, online: true, now);
        _audit?.TryWrite(AuditRecord.ForAuth(now, "register", connection.Info.RemoteAddress, deviceId, AuditOutcome.Allowed, null, identity.TokenId));
        _audit?.TryWrite(AuditRecord.ForMessage(now, IdString(request), "register", deviceId, DeviceId.Hub, request.Size, AuditOutcome.Delivered));
        Log.Registered(_logger, deviceId, identity.Role, connection.Info.PathKind, connection.SessionId);

        OutboundFrame reply = OutboundFrame.Rent();
        var json = HubMessageEncoder.Begin(reply, MessageType.Response, connection.DeviceIdUtf8, request.MessageId, now);
        // The accepted extensions go back in the reply: a device sends binary frames only to a hub that said it takes them.
        RegisteredPayload.Write(json, System.Text.Encoding.UTF8.GetBytes(connection.SessionId), (long)_options.HeartbeatInterval.TotalMilliseconds,
            connection.SupportsBinaryStreams ? AcceptedBinaryStreams : []);
        HubMessageEncoder.End();
        connection.SendAndRelease(reply);
        _events.AnnouncePresence(connection, "device_connected"u8, now);
    }

    private bool TryChooseDeviceId(MeshConnection connection, RegistrationRequest request, MeshIdentity identity, out string deviceId, out string? failure, out int closeCode)
    {
        failure = null;
        closeCode = MeshCloseCodes.AuthFailed;
        if (request.From is { } requested && (Protocol.DeviceId.IsReserved(requested) || (identity.Role is MeshRole.Device or MeshRole.Creator && IsClientId(requested))))
        {
            deviceId = requested;
            failure = "device_id_reserved";
            closeCode = MeshCloseCodes.PolicyViolation;
            return false;
        }
        switch (identity.Role)
        {
            case MeshRole.Device:
                deviceId = request.From ?? identity.DeviceId!;
                AuthDecision decision = _auth.Authorize(identity, MeshAction.Register, deviceId);
                if (!decision.IsAllowed)
                {
                    failure = decision.Reason.ToCode();
                    return false;
                }
                _owners[deviceId] = "device";
                return true;
            case MeshRole.Creator:
                deviceId = request.From ?? "creator-" + connection.SessionId[5..13];
                _owners[deviceId] = "device";
                return true;
            default:
                string prefix = ClientPrefix(identity.Role);
                deviceId = request.From ?? prefix + connection.SessionId[5..13];
                if (!deviceId.StartsWith(prefix, StringComparison.Ordinal))
                {
                    failure = "client_id_must_start_with_" + prefix.TrimEnd('-');
                    closeCode = MeshCloseCodes.PolicyViolation;
                    return false;
                }
                string owner = OwnerOf(identity);
                string existing = _owners.GetOrAdd(deviceId, owner);
                if (existing != owner)
                {
                    failure = "device_id_in_use";
                    closeCode = MeshCloseCodes.PolicyViolation;
                    return false;
                }
                return true;
        }
    }

    private void Fail(MeshConnection connection, RegistrationRequest request, string code, string reason, string message, int closeCode)
    {
        DateTimeOffset now = _time.GetUtcNow();
        _metrics.Dropped(code == MeshErrorCodes.Unauthorized ? DropReason.Unauthorized : DropReason.Forbidden);
        Log.RegistrationRefused(_logger, connection.Number, connection.Info.RemoteAddress, request.From, reason);
        _audit?.TryWrite(AuditRecord.ForAuth(now, "register", connection.Info.RemoteAddress, request.From, AuditOutcome.Denied, reason));
        _audit?.TryWrite(AuditRecord.ForMessage(now, IdString(request), "register", request.From, DeviceId.Hub, request.Size, AuditOutcome.Rejected, reason));
        connection.SendAndRelease(HubMessageEncoder.Error(default, request.MessageId, code, message, now));
        connection.Close(closeCode, reason, drain: true);
    }

    private void Reject(MeshConnection connection, ReadOnlySpan<byte> messageId, DropReason reason, string code, string message)
    {
        _metrics.Dropped(reason);
        connection.SendAndRelease(HubMessageEncoder.Error(default, messageId, code, message, _time.GetUtcNow()));
        connection.RecordViolation(MeshCloseCodes.PolicyViolation, reason.ToName());
    }

    private static string ClientPrefix(MeshRole role) => role == MeshRole.Family ? "family-" : "guest-";

    private static bool IsClientId(string id) => id.StartsWith("family-", StringComparison.Ordinal) || id.StartsWith("guest-", StringComparison.Ordinal);

    // A client id claimed by a registration that did not complete is free again.
    private void ReleaseClientId(string deviceId, MeshIdentity identity)
    {
        if (identity.Role is MeshRole.Family or MeshRole.Guest) _owners.TryRemove(new KeyValuePair<string, string>(deviceId, OwnerOf(identity)));
    }

    private static string OwnerOf(MeshIdentity identity) => identity.Role.ToString().ToLowerInvariant() + ":" + identity.Subject;

    private static string? IdString(RegistrationRequest request) =>
        request.MessageId.Length == 0 ? null : System.Text.Encoding.UTF8.GetString(request.MessageId);

    private static readonly string[] AcceptedBinaryStreams = ["binary_streams"];

    private static bool Contains(string[] values, string value) => Array.IndexOf(values, value) >= 0;

    private static partial class Log
    {
        [LoggerMessage(200, LogLevel.Information, "Registered {DeviceId} as {Role} on {Path} ({SessionId})")]
        public static partial void Registered(ILogger logger, string deviceId, MeshRole role, MeshPathKind path, string sessionId);

        [LoggerMessage(201, LogLevel.Warning, "Refused registration of connection {Number} from {Remote} as {DeviceId}: {Reason}")]
        public static partial void RegistrationRefused(ILogger logger, long number, string? remote, string? deviceId, string reason);

        [LoggerMessage(202, LogLevel.Information, "{DeviceId}: connection {Old} replaced by {New}")]
        public static partial void Replaced(ILogger logger, string deviceId, long old, long @new);

        [LoggerMessage(203, LogLevel.Information, "{DeviceId} is offline (close {Code})")]
        public static partial void Offline(ILogger logger, string deviceId, int code);
    }
}
