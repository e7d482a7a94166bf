using Meowstik.Protocol;

namespace Meowstik.Agent;

/// <summary>A message waiting in the agent's outbox. The payload is built when the message is produced (so its content and
/// timestamp reflect that moment); <see cref="OutboxSender"/> wraps it in an envelope.</summary>
internal sealed class OutboxEntry
{
    private OutboxEntry(MessageType type, string id, string? to, string? correlationId, DateTimeOffset timestamp, MeshJson payload, OutgoingStreamChunk? chunk)
    {
        Type = type;
        Id = id;
        To = to;
        CorrelationId = correlationId;
        Timestamp = timestamp;
        Payload = payload;
        Chunk = chunk;
    }

    public MessageType Type { get; }

    public string Id { get; }

    public string? To { get; }

    public string? CorrelationId { get; }

    public DateTimeOffset Timestamp { get; }

    /// <summary>The payload object (for every type except stream chunks).</summary>
    public MeshJson Payload { get; }

    /// <summary>The stream chunk, encoded by the send loop so its bytes are base64-written once, straight into the frame.</summary>
    public OutgoingStreamChunk? Chunk { get; }

    public static OutboxEntry Create(MessageType type, TimeProvider time, string? to, string? correlationId, MeshJson payload) =>
        new(type, MessageId.NewId(time), to, correlationId, time.GetUtcNow(), payload, null);

    public static OutboxEntry Create(MessageType type, string id, TimeProvider time, string? to, MeshJson payload) =>
        new(type, id, to, null, time.GetUtcNow(), payload, null);

    public static OutboxEntry ForChunk(OutgoingStreamChunk chunk, TimeProvider time) =>
        new(MessageType.Stream, MessageId.NewId(time), chunk.To, null, time.GetUtcNow(), MeshJson.None, chunk);
}
