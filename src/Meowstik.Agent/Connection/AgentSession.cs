using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent;

/// <summary>
/// One connection of the agent: connect, register, then run the receive, send and heartbeat loops until any of
/// them ends. The agent's reconnect loop creates a new session for every attempt.
/// </summary>
internal sealed class AgentSession
{
    private readonly MeshAgent _agent;
    private readonly MeshAgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ProtocolLimits _limits;

    public AgentSession(MeshAgent agent, ILogger logger)
    {
        _agent = agent;
        _options = agent.Options;
        _time = agent.Time;
        _logger = logger;
        _limits = new ProtocolLimits { MaxMessageBytes = _options.MaxMessageBytes };
    }

    public async Task<ConnectionOutcome> RunAsync(CancellationToken stopping)
    {
        using var socket = new ClientWebSocket();
        try
        {
            string token = await _agent.GetTokenAsync(stopping).ConfigureAwait(false);
            Configure(socket.Options, token);
            ConnectionOutcome? failed = await ConnectAsync(socket, stopping).ConfigureAwait(false);
            if (failed is { } connectFailure)
            {
                return connectFailure;
            }

            _agent.SetState(AgentState.Registering, null);
            using var reader = new WebSocketMessageReader(socket, _options.MaxMessageBytes);
            using var writer = new WebSocketMessageWriter(socket, _time);
            await SendRegisterAsync(writer, token, stopping).ConfigureAwait(false);

            RegistrationResult registration = await AwaitRegisteredAsync(socket, reader, stopping).ConfigureAwait(false);
            if (registration.Failure is { } registrationFailure)
            {
                return registrationFailure;
            }

            return await RunOnlineAsync(socket, reader, writer, registration.HeartbeatInterval, registration.SessionId, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return new ConnectionOutcome(false, false, "stopped", null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            // Anything else (network, token provider, hub misbehaviour) ends this attempt; the reconnect loop goes on.
            return new ConnectionOutcome(false, false, "connection failed: " + ex.Message, ex);
        }
        finally
        {
            _agent.Outbox.SetOnline(false);
            await CloseQuietlyAsync(socket, stopping.IsCancellationRequested).ConfigureAwait(false);
        }
    }

    private void Configure(ClientWebSocketOptions ws, string token)
    {
        // The token also goes in the upgrade request (never in the URL, which proxies and servers log): a hub that checks it
        // there admits the device ahead of unauthenticated sockets. The register payload still carries it for hubs that don't.
        ws.SetRequestHeader("Authorization", "Bearer " + token);
        ws.KeepAliveInterval = _options.KeepAliveInterval;
        ws.KeepAliveTimeout = _options.KeepAliveTimeout;
        ws.CollectHttpResponseDetails = true;
        if (_options.Proxy is not null)
        {
            ws.Proxy = _options.Proxy;
        }

        foreach (KeyValuePair<string, string> header in _options.RequestHeaders)
        {
            ws.SetRequestHeader(header.Key, header.Value);
        }

        if (_options.Tls.ClientCertificates.Count > 0)
        {
            ws.ClientCertificates = _options.Tls.ClientCertificates;
        }

        if (HubCertificateValidator.CreateCallback(_options.Tls) is { } validate)
        {
            ws.RemoteCertificateValidationCallback = validate;
        }
    }

    private async Task<ConnectionOutcome?> ConnectAsync(ClientWebSocket socket, CancellationToken stopping)
    {
        using var deadline = new CancellationTokenSource(_options.ConnectTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, deadline.Token);
        try
        {
            await socket.ConnectAsync(_options.HubUri!, linked.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            return new ConnectionOutcome(false, false, $"connect timed out after {_options.ConnectTimeout}", null);
        }
        catch (WebSocketException ex) when (socket.HttpStatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return new ConnectionOutcome(false, true, $"the hub refused the upgrade with HTTP {(int)socket.HttpStatusCode}", ex);
        }
    }

    private async Task SendRegisterAsync(WebSocketMessageWriter writer, string token, CancellationToken cancellationToken)
    {
        EncodeRegister(writer, token);
        await writer.SendBufferAsync(cancellationToken).ConfigureAwait(false);
        _agent.Instruments.Sent("register");
    }

    private void EncodeRegister(WebSocketMessageWriter writer, string token)
    {
        var header = new EnvelopeHeader(MessageType.Register) { From = _agent.DeviceIdUtf8 };
        Utf8JsonWriter json = writer.Envelope.BeginEnvelope(writer.Buffer, header);
        RegisterPayload.Write(
            json,
            Encoding.UTF8.GetBytes(_options.DeviceType),
            Encoding.UTF8.GetBytes(_options.DeviceName ?? _options.DeviceId),
            _agent.AdvertisedCapabilities,
            Encoding.UTF8.GetBytes(token),
            queries: _agent.AdvertisedQueries,
            commands: _agent.AdvertisedCommands);
        writer.Envelope.EndEnvelope();
    }

    private async Task<RegistrationResult> AwaitRegisteredAsync(ClientWebSocket socket, WebSocketMessageReader reader, CancellationToken stopping)
    {
        using var deadline = new CancellationTokenSource(_options.RegistrationTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, deadline.Token);
        try
        {
            while (true)
            {
                ReceiveStatus status = await reader.ReceiveAsync(linked.Token).ConfigureAwait(false);
                if (status == ReceiveStatus.Closed)
                {
                    return RegistrationResult.Failed(ClosedOutcome(socket, wasOnline: false));
                }

                if (status != ReceiveStatus.Message)
                {
                    Reject(status == ReceiveStatus.TooLarge ? "too_large" : "invalid_utf8", null);
                    continue;
                }

                RegistrationResult? result = InspectRegistrationReply(reader.Current);
                if (result is { } done)
                {
                    return done;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            return RegistrationResult.Failed(new ConnectionOutcome(false, false, $"no 'registered' reply within {_options.RegistrationTimeout}", null));
        }
    }

    private RegistrationResult? InspectRegistrationReply(ReadOnlySequence<byte> message)
    {
        if (!EnvelopeReader.TryRead(message, out MeshEnvelope envelope, out ProtocolError error, _limits))
        {
            Reject(ProtocolErrorCodes.GetWireName(error.Code), error.ToString());
            return null;
        }

        _agent.Instruments.Received(MessageTypes.GetName(envelope.Type));
        if (envelope.Type == MessageType.Error && ErrorPayload.TryRead(envelope.Payload, out ErrorPayload failure, out _))
        {
            string code = failure.Code.GetString() ?? "unknown";
            string reason = $"{code}: {failure.Message.GetString()}";
            return RegistrationResult.Failed(new ConnectionOutcome(false, IsAuthErrorCode(code), "registration refused: " + reason, null));
        }

        if (envelope.Type == MessageType.Response
            && RegisteredPayload.TryRead(envelope.Payload, out RegisteredPayload registered, out _)
            && registered.IsRegistered)
        {
            TimeSpan interval = WireDuration.Clamp(registered.HeartbeatIntervalMs, MeshAgentOptions.MaxTimeout) ?? _options.HeartbeatInterval;
            return RegistrationResult.Succeeded(registered.SessionId.GetString(), interval);
        }

        AgentLog.IgnoredBeforeRegistration(_logger, MessageTypes.GetName(envelope.Type));
        return null;
    }

    private async Task<ConnectionOutcome> RunOnlineAsync(
        ClientWebSocket socket, WebSocketMessageReader reader, WebSocketMessageWriter writer, TimeSpan heartbeatInterval, string? sessionId, CancellationToken stopping)
    {
        // Cancelling a pending WebSocket receive aborts the socket, so the receive loop gets its own token that is
        // cancelled only after a graceful close had its chance.
        using var senders = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var receiving = new CancellationTokenSource();
        _agent.Outbox.SetOnline(true);
        _agent.OnRegistered(sessionId, heartbeatInterval);

        Task<ConnectionOutcome> receive = ReceiveLoopAsync(socket, reader, receiving.Token);
        Task<ConnectionOutcome> send = SendLoopAsync(writer, senders.Token);
        Task<ConnectionOutcome> heartbeat = HeartbeatLoopAsync(writer, heartbeatInterval, senders.Token);
        var stopSignal = new TaskCompletionSource<ConnectionOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        using CancellationTokenRegistration onStop = stopping.Register(
            static state => ((TaskCompletionSource<ConnectionOutcome>)state!).TrySetResult(new ConnectionOutcome(true, false, "stopped", null)),
            stopSignal);

        ConnectionOutcome outcome;
        try
        {
            Task<ConnectionOutcome> first = await Task.WhenAny(receive, send, heartbeat, stopSignal.Task).ConfigureAwait(false);
            outcome = await first.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            // A loop failed in a way it did not expect: this session ends like a drop and the agent reconnects.
            outcome = new ConnectionOutcome(true, false, "session failed: " + ex.Message, ex);
        }
        finally
        {
            // Whatever ended the session, its loops end here, before the reconnect loop can start new ones: a lingering
            // send loop would take from the shared outbox and reorder it, a lingering heartbeat would write to a dead socket.
            await senders.CancelAsync().ConfigureAwait(false);
            await AwaitQuietlyAsync(send).ConfigureAwait(false);
            await AwaitQuietlyAsync(heartbeat).ConfigureAwait(false);
            await StopReceivingAsync(socket, receive, receiving, stopping).ConfigureAwait(false);
        }

        return outcome with { WasOnline = true };
    }

    private async Task StopReceivingAsync(ClientWebSocket socket, Task<ConnectionOutcome> receive, CancellationTokenSource receiving, CancellationToken stopping)
    {
        if (!receive.IsCompleted)
        {
            // Say goodbye properly, then give the hub a moment to answer the close before cutting the socket.
            await CloseQuietlyAsync(socket, stopping.IsCancellationRequested).ConfigureAwait(false);
            try
            {
                await receive.WaitAsync(TimeSpan.FromSeconds(2), _time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await receiving.CancelAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The loop ended on its own; its outcome no longer matters.
            }
        }
        else if (socket.State == WebSocketState.CloseReceived)
        {
            await CloseQuietlyAsync(socket, stopping.IsCancellationRequested).ConfigureAwait(false);
        }

        await AwaitQuietlyAsync(receive).ConfigureAwait(false);
    }

    private async Task AwaitQuietlyAsync(Task<ConnectionOutcome> loop)
    {
        try
        {
            await loop.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException or IOException)
        {
            // Expected: the loop was cut off.
        }
        catch (Exception ex)
        {
            // Unexpected, and already the reason the session ended; it must not stop the others from being awaited.
            AgentLog.ReceiveLoopFailed(_logger, ex);
        }
    }

    private async Task<ConnectionOutcome> ReceiveLoopAsync(ClientWebSocket socket, WebSocketMessageReader reader, CancellationToken cancellationToken)
    {
        _agent.SessionLoopStarted();
        try
        {
            while (true)
            {
                ReceiveStatus status = await reader.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                switch (status)
                {
                    case ReceiveStatus.Closed:
                        return ClosedOutcome(socket, wasOnline: true);
                    case ReceiveStatus.TooLarge:
                        Reject("too_large", $"{reader.LastRejectedSize} bytes over the {_options.MaxMessageBytes}-byte limit");
                        break;
                    case ReceiveStatus.InvalidUtf8:
                        Reject("invalid_utf8", null);
                        break;
                    default:
                        if (reader.CurrentType == WebSocketMessageType.Binary)
                        {
                            Reject("unexpected_binary", null);
                        }
                        else
                        {
                            HandleInbound(reader.Current);
                        }

                        break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new ConnectionOutcome(true, false, "stopped", null);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            return new ConnectionOutcome(true, false, "connection lost: " + ex.Message, ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug or a failing subscriber/logger while handling one message: end this session cleanly (the caller
            // stops the other loops) rather than fault the task; the agent reconnects with fresh state.
            AgentLog.ReceiveLoopFailed(_logger, ex);
            return new ConnectionOutcome(true, false, "receive loop failed: " + ex.Message, ex);
        }
        finally
        {
            _agent.SessionLoopEnded();
        }
    }

    private void HandleInbound(ReadOnlySequence<byte> message)
    {
        if (!EnvelopeReader.TryRead(message, out MeshEnvelope envelope, out ProtocolError error, _limits))
        {
            Reject(ProtocolErrorCodes.GetWireName(error.Code), error.ToString());
            if (InboundIds.TryExtractId(message) is { } badId)
            {
                _agent.EnqueueAnswer(MessageType.Error, to: null, badId, OutboundPayloads.ProtocolError(error));
            }

            return;
        }

        _agent.Instruments.Received(MessageTypes.GetName(envelope.Type));
        switch (envelope.Type)
        {
            case MessageType.Command:
            case MessageType.Query:
                HandleRequest(envelope);
                break;
            case MessageType.Response:
                HandleResponse(envelope);
                break;
            case MessageType.Error:
                HandleError(envelope);
                break;
            case MessageType.Event:
                _agent.RaiseEvent(MeshEvent.FromPayload(envelope.From.GetString() ?? DeviceId.Hub, ParseElement(envelope.Payload), envelope.TimestampValue ?? _time.GetUtcNow()));
                break;
            case MessageType.Stream:
                _agent.RaiseStream(MeshStreamChunk.FromPayload(envelope.From.GetString() ?? DeviceId.Hub, ParseElement(envelope.Payload), envelope.TimestampValue ?? _time.GetUtcNow()));
                break;
            case MessageType.Heartbeat:
                break;
            default:
                Reject("unexpected_type", MessageTypes.GetName(envelope.Type));
                if (envelope.Id.GetString() is { } id)
                {
                    _agent.EnqueueAnswer(MessageType.Error, envelope.From.GetString(), id,
                        OutboundPayloads.Error(MeshErrorCodes.InvalidRequest, $"An agent does not accept '{MessageTypes.GetName(envelope.Type)}' messages."));
                }

                break;
        }
    }

    private void HandleRequest(in MeshEnvelope envelope)
    {
        string? id = envelope.Id.GetString();
        string from = envelope.From.GetString() ?? DeviceId.Hub;
        if (string.IsNullOrEmpty(id))
        {
            Reject("missing_id", "a " + MessageTypes.GetName(envelope.Type) + " without an id cannot be answered");
            return;
        }

        if (!CommandPayload.TryRead(envelope, out CommandPayload request, out ProtocolError error))
        {
            // A typed codec error naming the field (for example payload.timeout_ms for -5 or 1e300).
            Reject(ProtocolErrorCodes.GetWireName(error.Code), error.ToString());
            _agent.EnqueueAnswer(MessageType.Error, from, id, OutboundPayloads.ProtocolError(error));
            return;
        }

        if (!request.Action.IsString)
        {
            Reject("missing_action", null);
            _agent.EnqueueAnswer(MessageType.Error, from, id, OutboundPayloads.Error(MeshErrorCodes.InvalidRequest, "The request payload needs a string 'action'."));
            return;
        }

        string action = request.Action.GetString() ?? string.Empty;
        if (action.Length == 0)
        {
            Reject("missing_action", null);
            _agent.EnqueueAnswer(MessageType.Error, from, id, OutboundPayloads.Error(MeshErrorCodes.InvalidRequest, "The request payload needs a non-empty 'action'."));
            return;
        }

        var context = new CommandContext(
            envelope.Type == MessageType.Query ? CommandKind.Query : CommandKind.Command,
            action,
            id,
            from,
            request.Params.IsPresent ? ParseElement(request.Params) : default,
            ParseElement(envelope.Payload),
            _agent);
        TimeSpan? requested = WireDuration.Clamp(request.TimeoutMs, _options.CommandTimeout);
        if (request.TimeoutMs > (long)_options.CommandTimeout.TotalMilliseconds)
        {
            AgentLog.TimeoutClamped(_logger, request.TimeoutMs, id, _options.CommandTimeout);
        }

        _agent.StartDispatch(context, requested);
    }

    private void HandleResponse(in MeshEnvelope envelope)
    {
        string? correlation = envelope.CorrelationId.GetString();
        JsonElement payload = ParseElement(envelope.Payload);
        string from = envelope.From.GetString() ?? DeviceId.Hub;
        if (correlation is null || !_agent.Pending.TryComplete(correlation, new MeshReply(from, envelope.Id.GetString(), correlation, payload, envelope.TimestampValue ?? _time.GetUtcNow())))
        {
            AgentLog.UnmatchedAnswer(_logger, "response", correlation ?? "(none)", from);
        }
    }

    private void HandleError(in MeshEnvelope envelope)
    {
        string? correlation = envelope.CorrelationId.GetString();
        string code = "unknown";
        string message = string.Empty;
        if (ErrorPayload.TryRead(envelope.Payload, out ErrorPayload error, out _))
        {
            code = error.Code.GetString() ?? code;
            message = error.Message.GetString() ?? string.Empty;
        }

        if (correlation is not null && _agent.Pending.TryFail(correlation, new MeshRequestException(code, message)))
        {
            return;
        }

        AgentLog.HubReportedError(_logger, code, message, correlation ?? "(none)");
    }

    private async Task<ConnectionOutcome> SendLoopAsync(WebSocketMessageWriter writer, CancellationToken cancellationToken)
    {
        AgentOutbox<OutboundMessage> outbox = _agent.Outbox;
        _agent.SessionLoopStarted();
        try
        {
            while (await outbox.WaitToTakeAsync(cancellationToken).ConfigureAwait(false))
            {
                while (outbox.TryTake(out OutboundMessage message, out OutboundLane lane))
                {
                    try
                    {
                        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                        try
                        {
                            Encode(writer, message);
                            await writer.SendBufferAsync(cancellationToken).ConfigureAwait(false);
                        }
                        finally
                        {
                            _sendLock.Release();
                        }
                    }
                    catch
                    {
                        // Not known to be sent: a reliable message goes back to the head of the outbox for the next connection.
                        if (lane == OutboundLane.Reliable)
                        {
                            outbox.ReturnUnsent(message);
                        }
                        else
                        {
                            _agent.OnDropped(message, OutboxDropReason.StreamOffline);
                        }

                        throw;
                    }

                    _agent.Instruments.Sent(MessageTypes.GetName(message.Type));
                }
            }

            return new ConnectionOutcome(true, false, "stopped", null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new ConnectionOutcome(true, false, "stopped", null);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            return new ConnectionOutcome(true, false, "send failed: " + ex.Message, ex);
        }
        finally
        {
            _agent.SessionLoopEnded();
        }
    }

    private void Encode(WebSocketMessageWriter writer, OutboundMessage message)
    {
        Span<byte> id = stackalloc byte[Encoding.UTF8.GetMaxByteCount(message.Id.Length)];
        id = id[..Encoding.UTF8.GetBytes(message.Id, id)];
        byte[]? to = message.To is null ? null : Encoding.UTF8.GetBytes(message.To);
        byte[]? correlation = message.CorrelationId is null ? null : Encoding.UTF8.GetBytes(message.CorrelationId);
        var header = new EnvelopeHeader(message.Type)
        {
            Id = id,
            From = _agent.DeviceIdUtf8,
            To = to,
            CorrelationId = correlation,
            Timestamp = message.Timestamp,
        };

        if (message.Chunk is { } chunk)
        {
            Utf8JsonWriter json = writer.Envelope.BeginEnvelope(writer.Buffer, header);
            OutboundPayloads.WriteStreamChunk(json, chunk);
            writer.Envelope.EndEnvelope();
        }
        else
        {
            writer.Envelope.Write(writer.Buffer, header, message.Payload.Utf8.Span);
        }
    }

    private async Task<ConnectionOutcome> HeartbeatLoopAsync(WebSocketMessageWriter writer, TimeSpan interval, CancellationToken cancellationToken)
    {
        _agent.SessionLoopStarted();
        try
        {
            // One beat right after registration gives the hub fresh figures at once; then one per interval.
            await SendHeartbeatAsync(writer, cancellationToken).ConfigureAwait(false);
            using var timer = new PeriodicTimer(interval, _time);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await SendHeartbeatAsync(writer, cancellationToken).ConfigureAwait(false);
            }

            return new ConnectionOutcome(true, false, "stopped", null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new ConnectionOutcome(true, false, "stopped", null);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            return new ConnectionOutcome(true, false, "heartbeat send failed: " + ex.Message, ex);
        }
        finally
        {
            _agent.SessionLoopEnded();
        }
    }

    private async Task SendHeartbeatAsync(WebSocketMessageWriter writer, CancellationToken cancellationToken)
    {
        ProcessMetrics figures = _agent.Sampler.Sample();
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            EncodeHeartbeat(writer, figures);
            await writer.SendBufferAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }

        _agent.Instruments.Sent("heartbeat");
    }

    private void EncodeHeartbeat(WebSocketMessageWriter writer, ProcessMetrics figures)
    {
        var header = new EnvelopeHeader(MessageType.Heartbeat) { From = _agent.DeviceIdUtf8, To = DeviceId.HubUtf8 };
        Utf8JsonWriter json = writer.Envelope.BeginEnvelope(writer.Buffer, header);
        HeartbeatPayload.Write(json, new HeartbeatPayload(figures.UptimeSeconds, figures.MemoryMegabytes, figures.CpuPercent));
        writer.Envelope.EndEnvelope();
    }

    private ConnectionOutcome ClosedOutcome(ClientWebSocket socket, bool wasOnline)
    {
        int code = socket.CloseStatus is { } status ? (int)status : 0;
        string description = socket.CloseStatusDescription ?? string.Empty;
        bool auth = code is MeshCloseCodes.AuthFailed or MeshCloseCodes.TokenRevoked;
        if (code == MeshCloseCodes.Replaced)
        {
            // Another connection registered this device id: usually a second process with the same id. The backoff
            // keeps growing while the two displace each other, so the fight is slow, and the log says why.
            AgentLog.Replaced(_logger, _options.DeviceId);
        }

        return new ConnectionOutcome(wasOnline, auth, $"the hub closed the connection ({code} {description})".TrimEnd(), null);
    }

    private void Reject(string reason, string? detail)
    {
        _agent.Instruments.Rejected(reason);
        AgentLog.InboundRejected(_logger, reason, detail ?? string.Empty);
    }

    // Unauthorized (bad, expired, revoked token) and forbidden (the token may not register this id) both mean that
    // retrying with the same credentials cannot succeed, so neither is retried on the backoff schedule.
    private static bool IsAuthErrorCode(string code) =>
        code is MeshErrorCodes.Unauthorized or MeshErrorCodes.Forbidden
        || code.StartsWith("token_", StringComparison.Ordinal)
        || code == "device_id_mismatch";

    private static JsonElement ParseElement(Utf8JsonSlice slice)
    {
        if (!slice.IsPresent)
        {
            return default;
        }

        Utf8JsonReader reader = slice.CreateReader();
        return JsonElement.ParseValue(ref reader);
    }

    private async Task CloseQuietlyAsync(ClientWebSocket socket, bool stopping)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2), _time);
        try
        {
            await socket.CloseOutputAsync(
                WebSocketCloseStatus.NormalClosure,
                stopping ? "agent stopping" : "reconnecting",
                deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            AgentLog.CloseFailed(_logger, ex.Message);
        }
    }

    private readonly record struct RegistrationResult(ConnectionOutcome? Failure, string? SessionId, TimeSpan HeartbeatInterval)
    {
        public static RegistrationResult Failed(ConnectionOutcome outcome) => new(outcome, null, default);

        public static RegistrationResult Succeeded(string? sessionId, TimeSpan interval) => new(null, sessionId, interval);
    }
}
