using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent;

/// <summary>
/// The start of every connection: open the WebSocket (token in the upgrade request, TLS, proxy, keep-alive), send
/// <c>register</c>, and wait for <c>registered</c>. A refused upgrade (401/403), an auth error to <c>register</c> or an
/// auth close ends the attempt as <see cref="ConnectionOutcome.AuthRejected"/>.
/// </summary>
internal sealed class SessionHandshake
{
    private readonly MeshAgentOptions _options;
    private readonly RegistrationManifest _manifest;
    private readonly AgentInstruments _instruments;
    private readonly ProtocolLimits _limits;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private static readonly string[] BinaryStreamsFeature = ["binary_streams"];

    public SessionHandshake(MeshAgentOptions options, RegistrationManifest manifest, AgentInstruments instruments, TimeProvider time, ILogger logger)
    {
        _options = options;
        _manifest = manifest;
        _instruments = instruments;
        _limits = new ProtocolLimits { MaxMessageBytes = options.MaxMessageBytes };
        _time = time;
        _logger = logger;
    }

    /// <summary>Opens the WebSocket; null when connected, else how the attempt ended.</summary>
    public async Task<ConnectionOutcome?> ConnectAsync(ClientWebSocket socket, string token, CancellationToken stopping)
    {
        Configure(socket.Options, token);
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

    /// <summary>Sends <c>register</c> and waits (at most <see cref="MeshAgentOptions.RegistrationTimeout"/>) for the hub's answer.</summary>
    public async Task<RegistrationResult> RegisterAsync(
        ClientWebSocket socket, WebSocketMessageReader reader, WebSocketMessageWriter writer, string token, CancellationToken stopping)
    {
        EncodeRegister(writer, token);
        await writer.SendBufferAsync(stopping).ConfigureAwait(false);
        _instruments.Sent("register");

        using var deadline = new CancellationTokenSource(_options.RegistrationTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, deadline.Token);
        try
        {
            while (true)
            {
                ReceiveStatus status = await reader.ReceiveAsync(linked.Token).ConfigureAwait(false);
                if (status == ReceiveStatus.Closed)
                {
                    return RegistrationResult.Failed(ConnectionOutcome.Closed(socket, wasOnline: false, _logger, _options.DeviceId));
                }

                if (status != ReceiveStatus.Message)
                {
                    InboundRejects.Count(_instruments, _logger, status == ReceiveStatus.TooLarge ? "too_large" : "invalid_utf8", null);
                    continue;
                }

                RegistrationResult? result = InspectReply(reader.Current);
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

    private void EncodeRegister(WebSocketMessageWriter writer, string token)
    {
        var header = new EnvelopeHeader(MessageType.Register) { From = _manifest.DeviceIdUtf8 };
        Utf8JsonWriter json = writer.Envelope.BeginEnvelope(writer.Buffer, header);
        RegisterPayload.Write(
            json,
            Encoding.UTF8.GetBytes(_options.DeviceType),
            Encoding.UTF8.GetBytes(_options.DeviceName ?? _options.DeviceId),
            _manifest.Capabilities,
            Encoding.UTF8.GetBytes(token),
            _options.BinaryStreams ? BinaryStreamsFeature : null,
            _manifest.Queries,
            _manifest.Commands,
            _manifest.Actions);
        writer.Envelope.EndEnvelope();
    }

    private RegistrationResult? InspectReply(ReadOnlySequence<byte> message)
    {
        if (!EnvelopeReader.TryRead(message, out MeshEnvelope envelope, out ProtocolError error, _limits))
        {
            InboundRejects.Count(_instruments, _logger, ProtocolErrorCodes.GetWireName(error.Code), error.ToString());
            return null;
        }

        _instruments.Received(MessageTypes.GetName(envelope.Type));
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
            // Binary frames only when this agent asked and the hub said yes: an older hub would reject them.
            bool binary = _options.BinaryStreams && registered.Features.Contains("binary_streams"u8);
            return RegistrationResult.Succeeded(registered.SessionId.GetString(), interval, binary);
        }

        AgentLog.IgnoredBeforeRegistration(_logger, MessageTypes.GetName(envelope.Type));
        return null;
    }

    // Unauthorized (bad, expired, revoked token) and forbidden (the token may not register this id) both mean that
    // retrying with the same credentials cannot succeed, so neither is retried on the backoff schedule.
    private static bool IsAuthErrorCode(string code) =>
        code is MeshErrorCodes.Unauthorized or MeshErrorCodes.Forbidden
        || code.StartsWith("token_", StringComparison.Ordinal)
        || code == "device_id_mismatch";
}

/// <summary>The end of a handshake: registered (session id, heartbeat interval, binary stream frames accepted) or how it failed.</summary>
internal readonly record struct RegistrationResult(ConnectionOutcome? Failure, string? SessionId, TimeSpan HeartbeatInterval, bool BinaryStreams)
{
    public static RegistrationResult Failed(ConnectionOutcome outcome) => new(outcome, null, default, false);

    public static RegistrationResult Succeeded(string? sessionId, TimeSpan interval, bool binaryStreams) => new(null, sessionId, interval, binaryStreams);
}

/// <summary>What this agent announces in <c>register</c>, fixed when the agent is created.</summary>
/// <param name="DeviceIdUtf8">The device id, as every envelope's <c>from</c>.</param>
/// <param name="Capabilities">The capability names.</param>
/// <param name="Queries">The read-only actions.</param>
/// <param name="Commands">The state-changing actions.</param>
/// <param name="Actions">Each capability with its actions (<c>actions</c>), so a controller can see what the device accepts.</param>
internal sealed record RegistrationManifest(
    byte[] DeviceIdUtf8,
    IReadOnlyList<string> Capabilities,
    IReadOnlyList<string> Queries,
    IReadOnlyList<string> Commands,
    IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> Actions);
