using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Agent;

/// <summary>
/// Sends the outbox while online: reliable messages in order, then stream chunks. A reliable message whose send did not
/// complete goes back to the head of the outbox for the next connection; a stream chunk is dropped (live data).
/// </summary>
internal sealed class OutboxSender
{
    private readonly AgentOutbox<OutboxEntry> _outbox;
    private readonly AgentInstruments _instruments;
    private readonly byte[] _deviceIdUtf8;
    private readonly Action<OutboxEntry, OutboxDropReason> _dropped;

    // One send loop runs at a time (the session ends its loop before the next starts), so one frame writer serves all.
    private readonly BinaryStreamFrameWriter _frames = new();
    private bool _binaryStreams;

    public OutboxSender(AgentOutbox<OutboxEntry> outbox, AgentInstruments instruments, byte[] deviceIdUtf8, Action<OutboxEntry, OutboxDropReason> dropped)
    {
        _outbox = outbox;
        _instruments = instruments;
        _deviceIdUtf8 = deviceIdUtf8;
        _dropped = dropped;
    }

    /// <summary>
    /// Sends until cancelled or the connection fails. With <paramref name="binaryStreams"/> (the hub accepted the
    /// extension for this session) stream chunks go as binary frames; otherwise as JSON with base64 data.
    /// </summary>
    public async Task<ConnectionOutcome> RunAsync(SessionWriter writer, bool binaryStreams, CancellationToken cancellationToken)
    {
        _binaryStreams = binaryStreams;
        try
        {
            while (await _outbox.WaitToTakeAsync(cancellationToken).ConfigureAwait(false))
            {
                while (_outbox.TryTake(out OutboxEntry entry, out OutboundLane lane))
                {
                    try
                    {
                        await writer.SendAsync((this, entry), static (w, state) => state.Item1.Encode(w, state.entry), cancellationToken).ConfigureAwait(false);
                    }
                    catch
                    {
                        // Not known to be sent: a reliable message goes back to the head of the outbox for the next connection.
                        if (lane == OutboundLane.Reliable)
                        {
                            _outbox.ReturnUnsent(entry);
                        }
                        else
                        {
                            _dropped(entry, OutboxDropReason.StreamOffline);
                        }

                        throw;
                    }

                    entry.Chunk?.Lease?.Dispose();
                    _instruments.Sent(MessageTypes.GetName(entry.Type));
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
    }

    private WebSocketMessageType Encode(WebSocketMessageWriter writer, OutboxEntry entry)
    {
        Span<byte> id = stackalloc byte[Encoding.UTF8.GetMaxByteCount(entry.Id.Length)];
        id = id[..Encoding.UTF8.GetBytes(entry.Id, id)];
        byte[]? to = entry.To is null ? null : Encoding.UTF8.GetBytes(entry.To);
        byte[]? correlation = entry.CorrelationId is null ? null : Encoding.UTF8.GetBytes(entry.CorrelationId);
        var header = new EnvelopeHeader(entry.Type)
        {
            Id = id,
            From = _deviceIdUtf8,
            To = to,
            CorrelationId = correlation,
            Timestamp = entry.Timestamp,
        };

        if (entry.Chunk is { } chunk)
        {
            if (_binaryStreams)
            {
                // The raw bytes follow the header as they are: no base64 (a third fewer bytes, no encoding pass).
                _frames.Write(writer.Buffer, header, OutboundPayloads.Metadata(chunk), chunk.Data.Span);
                return WebSocketMessageType.Binary;
            }

            Utf8JsonWriter json = writer.Envelope.BeginEnvelope(writer.Buffer, header);
            OutboundPayloads.WriteStreamChunk(json, chunk);
            writer.Envelope.EndEnvelope();
        }
        else
        {
            writer.Envelope.Write(writer.Buffer, header, entry.Payload.Utf8.Span);
        }

        return WebSocketMessageType.Text;
    }
}
