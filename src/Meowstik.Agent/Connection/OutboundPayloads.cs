using System.Text.Json;
using Meowstik.Agent.Capabilities;
using Meowstik.Protocol;
using Meowstik.Protocol.Payloads;

namespace Meowstik.Agent.Connection;

/// <summary>Builds the payload objects of the messages the agent produces (the shapes of the design document).</summary>
internal static class OutboundPayloads
{
    /// <summary><c>{"status":"ok","action":…,"result":…}</c>.</summary>
    public static MeshJson Response(string action, CommandResult result) => MeshJson.Object(w =>
    {
        w.WriteString("status"u8, result.Status ?? "ok");
        w.WriteString("action"u8, action);
        if (!result.Result.IsNone)
        {
            w.WritePropertyName("result"u8);
            result.Result.WriteTo(w);
        }
    });

    /// <summary><c>{"code":…,"message":…}</c>.</summary>
    public static MeshJson Error(string code, string message) =>
        MeshJson.Value(w => ErrorPayload.Write(w, System.Text.Encoding.UTF8.GetBytes(code), System.Text.Encoding.UTF8.GetBytes(message)));

    /// <summary>An error for a message the codec rejected: the protocol error's wire name, field and offset.</summary>
    public static MeshJson ProtocolError(ProtocolError error) => MeshJson.Value(w => ErrorPayload.Write(w, error));

    /// <summary><c>{"event":…,"data":…}</c>.</summary>
    public static MeshJson Event(string eventName, MeshJson data) => MeshJson.Object(w =>
    {
        w.WriteString("event"u8, eventName);
        if (!data.IsNone)
        {
            w.WritePropertyName("data"u8);
            data.WriteTo(w);
        }
    });

    /// <summary><c>{"action":…,"params":…}</c> for a query or command this agent sends.</summary>
    public static MeshJson Request(string action, MeshJson parameters, long timeoutMs) => MeshJson.Value(w =>
        CommandPayload.Write(w, System.Text.Encoding.UTF8.GetBytes(action), parameters.Utf8.Span, timeoutMs));

    /// <summary>Writes a stream chunk payload; the data is base64-encoded straight into the frame.</summary>
    public static void WriteStreamChunk(Utf8JsonWriter w, MeshStreamChunk chunk)
    {
        w.WriteStartObject();
        w.WriteString("stream_type"u8, chunk.StreamType);
        if (chunk.Codec is not null)
        {
            w.WriteString("codec"u8, chunk.Codec);
        }

        WriteOptional(w, "sample_rate"u8, chunk.SampleRate);
        WriteOptional(w, "channels"u8, chunk.Channels);
        WriteOptional(w, "width"u8, chunk.Width);
        WriteOptional(w, "height"u8, chunk.Height);
        if (chunk.ChunkIndex is long chunkIndex)
        {
            w.WriteNumber("chunk_index"u8, chunkIndex);
        }

        if (chunk.FrameIndex is long frameIndex)
        {
            w.WriteNumber("frame_index"u8, frameIndex);
        }

        w.WriteBase64String("data"u8, chunk.Data.Span);
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, ReadOnlySpan<byte> name, int? value)
    {
        if (value is int v)
        {
            w.WriteNumber(name, v);
        }
    }
}
