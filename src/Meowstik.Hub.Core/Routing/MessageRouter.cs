using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using Meowstik.Protocol;

namespace Meowstik.Hub.Core;

/// <summary>
/// The entry point for every message of a registered connection: decodes it, checks <c>from</c> (never trusted: it must be
/// the connection's registered id, or absent), and hands it by type to the part that routes it — heartbeats, requests and
/// their answers, hub actions (<c>to: hub</c>), events, streams. Refusals go through <see cref="DeliveryOutcomes"/>.
/// Runs inline on the sender's receive loop and never waits.
/// </summary>
internal sealed class MessageRouter
{
    private readonly ProtocolLimits _limits;
    private readonly DeliveryOutcomes _outcomes;
    private readonly HeartbeatResponder _heartbeats;
    private readonly RequestRouter _requests;
    private readonly HubActions _hubActions;
    private readonly EventRouter _events;
    private readonly StreamManager _streams;

    public MessageRouter(
        ProtocolLimits limits, DeliveryOutcomes outcomes, HeartbeatResponder heartbeats, RequestRouter requests, HubActions hubActions,
        EventRouter events, StreamManager streams)
    {
        _limits = limits;
        _outcomes = outcomes;
        _heartbeats = heartbeats;
        _requests = requests;
        _hubActions = hubActions;
        _events = events;
        _streams = streams;
    }

    public void Route(MeshConnection sender, in ReadOnlySequence<byte> raw, WebSocketMessageType messageType)
    {
        long start = Stopwatch.GetTimestamp();
        if (messageType == WebSocketMessageType.Binary)
        {
            if (!sender.SupportsBinaryStreams)
            {
                // Binary frames are a protocol extension: only a device that announced binary_streams may send them.
                Span<byte> frameId = stackalloc byte[EnvelopeText.MaxIdBytes];
                _outcomes.Reject(sender, MessageType.Stream, MessageIdScanner.Find(raw, messageType, frameId), null, raw.Length,
                    DropReason.InvalidRequest, MeshErrorCodes.InvalidRequest,
                    "Binary frames need the binary_streams feature, announced at registration.", violation: true);
                return;
            }
            _streams.RouteBinary(sender, raw, start);
            return;
        }
        Span<byte> idBuffer = stackalloc byte[EnvelopeText.MaxIdBytes];
        if (!EnvelopeReader.TryRead(raw, out MeshEnvelope envelope, out ProtocolError error, _limits))
        {
            // The error still answers the message by its id when one is readable (unknown type, a missing or invalid field...).
            _outcomes.RejectProtocol(sender, MessageType.Unknown, MessageIdScanner.Find(raw, messageType, idBuffer), raw.Length, error);
            return;
        }
        ReadOnlySpan<byte> id = EnvelopeText.Copy(envelope.Id, idBuffer);
        if (envelope.From.IsPresent && !envelope.From.ValueEquals(sender.DeviceIdUtf8))
        {
            _outcomes.Reject(sender, envelope.Type, id, null, envelope.Length, DropReason.SpoofedFrom, MeshErrorCodes.Forbidden,
                "'from' must be the registered device id of this connection.", "from", violation: true);
            return;
        }
        switch (envelope.Type)
        {
            case MessageType.Heartbeat:
                _heartbeats.Handle(sender, envelope, id, start);
                break;
            case MessageType.Command:
            case MessageType.Query:
                if (envelope.IsToHub) _hubActions.Handle(sender, envelope, id, start);
                else _requests.RouteRequest(sender, envelope, raw, id, start);
                break;
            case MessageType.Response:
            case MessageType.Error:
                _requests.RouteAnswer(sender, envelope, raw, id, start);
                break;
            case MessageType.Event:
                _events.RouteEvent(sender, envelope, raw, id, start);
                break;
            case MessageType.Stream:
                _streams.Route(sender, envelope, raw, id, start);
                break;
            default:
                _outcomes.Reject(sender, envelope.Type, id, DeviceId.Hub, envelope.Length, DropReason.InvalidRequest, MeshErrorCodes.InvalidRequest,
                    "This connection is already registered.");
                break;
        }
    }
}
