using System.Text.Json;

namespace Meowstik.Hub;

/// <summary>One stream chunk or frame delivered to an in-process subscriber (<see cref="MeshHub.SubscribeStream"/>), decoded.</summary>
/// <param name="From">The source device.</param>
/// <param name="StreamType">The stream type (<c>audio</c>, <c>video</c>…).</param>
/// <param name="Index">The <c>chunk_index</c> / <c>frame_index</c>, or -1 when absent.</param>
/// <param name="Codec">The codec (<c>opus</c>, <c>jpeg</c>…), when given.</param>
/// <param name="Data">The media bytes (base64-decoded, or the binary frame's body).</param>
/// <param name="Metadata">The payload's other fields (sample rate, width…) without <c>data</c>.</param>
/// <param name="Timestamp">The message timestamp.</param>
public sealed record MeshStreamChunk(
    string From,
    string StreamType,
    long Index,
    string? Codec,
    ReadOnlyMemory<byte> Data,
    JsonElement Metadata,
    DateTimeOffset Timestamp);
