namespace Meowstik.Agent;

/// <summary>One audio/video/data chunk this agent sends as a <c>stream</c> message (lossy by design). Received chunks arrive as <see cref="Meowstik.Protocol.MeshStreamChunk"/>.</summary>
public sealed class OutgoingStreamChunk
{
    /// <summary>The kind of stream, e.g. <c>audio</c>, <c>video</c>, <c>can</c>.</summary>
    public required string StreamType { get; init; }

    /// <summary>The codec, e.g. <c>opus</c>, <c>jpeg</c>.</summary>
    public string? Codec { get; init; }

    /// <summary>Audio sample rate in Hz.</summary>
    public int? SampleRate { get; init; }

    /// <summary>Audio channel count.</summary>
    public int? Channels { get; init; }

    /// <summary>Video frame width in pixels.</summary>
    public int? Width { get; init; }

    /// <summary>Video frame height in pixels.</summary>
    public int? Height { get; init; }

    /// <summary>Audio/data chunk sequence number.</summary>
    public long? ChunkIndex { get; init; }

    /// <summary>Video frame sequence number.</summary>
    public long? FrameIndex { get; init; }

    /// <summary>
    /// The raw bytes: sent as a binary frame when the hub accepts <c>binary_streams</c>, otherwise base64 in <c>data</c>.
    /// They must stay unchanged until <see cref="Lease"/> is released.
    /// </summary>
    public ReadOnlyMemory<byte> Data { get; init; }

    /// <summary>
    /// Optional owner of <see cref="Data"/>'s buffer (a pooled buffer, say). The agent disposes it exactly once, when the
    /// chunk has been written to the socket or was dropped (offline, overflow, agent stopped), so the producer can reuse
    /// the buffer then, and knows how many of its chunks are still in flight.
    /// </summary>
    public IDisposable? Lease { get; init; }

    /// <summary>The target: <c>hub</c> (default), <c>broadcast</c> or a device id.</summary>
    public string? To { get; init; }
}
