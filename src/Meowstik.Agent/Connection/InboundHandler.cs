using System.Buffers;
using System.Text.Json;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent;

/// <summary>
/// Handles each message received while online: commands and queries go to dispatch, responses and errors complete this
/// agent's pending requests, events and stream chunks go to subscribers, and anything unusable is counted, logged and,
/// when its id can be read, answered with an <c>error</c>.
/// </summary>
internal sealed class InboundHandler
{
    private readonly IInboundTarget _target;
    private readonly PendingRequests _pending;
    private readonly AgentInstruments _instruments;
    private readonly ProtocolLimits _limits;
    private readonly TimeSpan _commandTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public InboundHandler(IInboundTarget target, PendingRequests pending, AgentInstruments instruments, MeshAgentOptions options, TimeProvider time, ILogger logger)
    {
        _target = target;
        _pending = pending;
        _instruments = instruments;
        _limits = new ProtocolLimits { MaxMessageBytes = options.MaxMessageBytes };
        _commandTimeout = options.CommandTimeout;
        _time = time;
        _logger = logger;
    }

    /// <summary>Counts and logs a message that could not be used.</summary>
    public void Reject(string reason, string? detail) => InboundRejects.Count(_instruments, _logger, reason, detail);

    /// <summary>
    /// Handles one binary message: a binary stream frame (the hub sends them to agents that announced
    /// <c>binary_streams</c>). Its chunk reaches subscribers exactly like a JSON one; anything else is counted and dropped.
    /// </summary>
    public void HandleBinary(ReadOnlySequence<byte> message)
    {
        if (!BinaryStreamFrame.TryRead(message, out BinaryStreamFrame frame, out ProtocolError error, _limits))
        {
            Reject(ProtocolErrorCodes.GetWireName(error.Code), error.ToString());
            return;
        }

        if (!frame.TryReadMetadata(out _, out error))
        {
            Reject(ProtocolErrorCodes.GetWireName(error.Code), error.ToString());
            return;
        }

        _instruments.Received("stream");
        // The subscriber owns the chunk (it may keep it), so the body is copied out of the receive buffer.
        byte[] data = new byte[frame.DataLength];
        frame.TryCopyDataTo(data, out _);
        MeshEnvelope header = frame.Header;
        _target.Deliver(MeshStreamChunk.FromPayload(
            header.From.GetString() ?? DeviceId.Hub, ParseElement(header.Payload), header.TimestampValue ?? _time.GetUtcNow(), data));
    }

    /// <summary>Handles one complete text message.</summary>
    public void Handle(ReadOnlySequence<byte> message)
    {
        if (!EnvelopeReader.TryRead(message, out MeshEnvelope envelope, out ProtocolError error, _limits))
        {
            Reject(ProtocolErrorCodes.GetWireName(error.Code), error.ToString());
            if (InboundIds.TryExtractId(message) is { } badId)
            {
                _target.Answer(MessageType.Error, to: null, badId, OutboundPayloads.ProtocolError(error));
            }

            return;
        }

        _instruments.Received(MessageTypes.GetName(envelope.Type));
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
                _target.Deliver(MeshEvent.FromPayload(envelope.From.GetString() ?? DeviceId.Hub, ParseElement(envelope.Payload), envelope.TimestampValue ?? _time.GetUtcNow()));
                break;
            case MessageType.Stream:
                _target.Deliver(MeshStreamChunk.FromPayload(envelope.From.GetString() ?? DeviceId.Hub, ParseElement(envelope.Payload), envelope.TimestampValue ?? _time.GetUtcNow()));
                break;
            case MessageType.Heartbeat:
                break;
            default:
                Reject("unexpected_type", MessageTypes.GetName(envelope.Type));
                if (envelope.Id.GetString() is { } id)
                {
                    _target.Answer(MessageType.Error, envelope.From.GetString(), id,
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
            _target.Answer(MessageType.Error, from, id, OutboundPayloads.ProtocolError(error));
            return;
        }

        if (!request.Action.IsString)
        {
            Reject("missing_action", null);
            _target.Answer(MessageType.Error, from, id, OutboundPayloads.Error(MeshErrorCodes.InvalidRequest, "The request payload needs a string 'action'."));
            return;
        }

        string action = request.Action.GetString() ?? string.Empty;
        if (action.Length == 0)
        {
            Reject("missing_action", null);
            _target.Answer(MessageType.Error, from, id, OutboundPayloads.Error(MeshErrorCodes.InvalidRequest, "The request payload needs a non-empty 'action'."));
            return;
        }

        var context = new CommandContext(
            envelope.Type == MessageType.Query ? CommandKind.Query : CommandKind.Command,
            action,
            id,
            from,
            request.Params.IsPresent ? ParseElement(request.Params) : default,
            ParseElement(envelope.Payload),
            _target.Publisher);
        TimeSpan? requested = WireDuration.Clamp(request.TimeoutMs, _commandTimeout);
        if (request.TimeoutMs > (long)_commandTimeout.TotalMilliseconds)
        {
            AgentLog.TimeoutClamped(_logger, request.TimeoutMs, id, _commandTimeout);
        }

        _target.Dispatch(context, requested);
    }

    private void HandleResponse(in MeshEnvelope envelope)
    {
        string? correlation = envelope.CorrelationId.GetString();
        JsonElement payload = ParseElement(envelope.Payload);
        string from = envelope.From.GetString() ?? DeviceId.Hub;
        if (correlation is null || !_pending.TryComplete(correlation, new MeshReply(from, envelope.Id.GetString(), correlation, payload, envelope.TimestampValue ?? _time.GetUtcNow())))
        {
            AgentLog.UnmatchedAnswer(_logger, "response", correlation ?? "(none)", from);
        }
    }

    /// <summary>An <c>error</c> (from the target device or from the hub itself) fails the matching pending request at once.</summary>
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

        if (correlation is not null && _pending.TryFail(correlation, code, message))
        {
            return;
        }

        AgentLog.HubReportedError(_logger, code, message, correlation ?? "(none)");
    }

    private static JsonElement ParseElement(Utf8JsonSlice slice)
    {
        if (!slice.IsPresent)
        {
            return default;
        }

        Utf8JsonReader reader = slice.CreateReader();
        return JsonElement.ParseValue(ref reader);
    }
}
