using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Agent;

/// <summary>Builds the payload objects of the messages the agent produces (the shapes of the design document).</summary>
internal static class OutboundPayloads
{
    /// <summary><c>{"status":"ok","action":…,"result":…}</c>.</summary>
    public static MeshJson Response(string action, CommandResult result) => MeshJson.Value(w =>
        ResponsePayload.Write(w, Utf8(action), result.Result.Utf8.Span, Utf8(result.Status ?? "ok")));

    /// <summary><c>{"code":…,"message":…}</c>.</summary>
    public static MeshJson Error(string code, string message) =>
        MeshJson.Value(w => ErrorPayload.Write(w, Utf8(code), Utf8(message)));

    /// <summary>An error for a message the codec rejected: the protocol error's wire name, field and offset.</summary>
    public static MeshJson ProtocolError(ProtocolError error) => MeshJson.Value(w => ErrorPayload.Write(w, error));

    /// <summary><c>{"event":…,"data":…}</c>.</summary>
    public static MeshJson Event(string eventName, MeshJson data) => MeshJson.Value(w =>
        EventPayload.Write(w, Utf8(eventName), data.Utf8.Span));

    /// <summary><c>{"action":…,"params":…}</c> for a query or command this agent sends.</summary>
    public static MeshJson Request(string action, MeshJson parameters, long timeoutMs) => MeshJson.Value(w =>
        CommandPayload.Write(w, Utf8(action), parameters.Utf8.Span, timeoutMs));

    /// <summary>Writes a stream chunk payload; the data is base64-encoded straight into the frame.</summary>
    public static void WriteStreamChunk(Utf8JsonWriter w, OutgoingStreamChunk chunk) =>
        StreamChunk.Write(w, Metadata(chunk), chunk.Data.Span);

    /// <summary>The chunk's payload without its data (a binary frame's header carries this).</summary>
    public static StreamChunkMetadata Metadata(OutgoingStreamChunk chunk) => new(Utf8(chunk.StreamType))
    {
        Codec = chunk.Codec is null ? default : Utf8(chunk.Codec),
        SampleRate = chunk.SampleRate,
        Channels = chunk.Channels,
        Width = chunk.Width,
        Height = chunk.Height,
        ChunkIndex = chunk.ChunkIndex,
        FrameIndex = chunk.FrameIndex,
    };

    private static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);
}
