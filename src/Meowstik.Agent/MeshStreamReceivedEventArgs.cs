using System.Text.Json;

namespace Meowstik.Agent;

/// <summary>A <c>stream</c> chunk another device sent to this agent.</summary>
public sealed class MeshStreamReceivedEventArgs : EventArgs
{
    /// <summary>Creates the event arguments.</summary>
    /// <param name="from">The sender as stamped by the hub.</param>
    /// <param name="payload">The chunk payload (stream_type, codec, indexes, base64 <c>data</c>).</param>
    public MeshStreamReceivedEventArgs(string from, JsonElement payload)
    {
        From = from;
        Payload = payload;
    }

    /// <summary>The sender as stamped by the hub.</summary>
    public string From { get; }

    /// <summary>The chunk payload.</summary>
    public JsonElement Payload { get; }

    /// <summary>Decodes <c>payload.data</c>; empty when absent or not base64.</summary>
    /// <returns>The chunk bytes.</returns>
    public byte[] GetData() =>
        Payload.ValueKind == JsonValueKind.Object && Payload.TryGetProperty("data", out JsonElement data) && data.TryGetBytesFromBase64(out byte[]? bytes)
            ? bytes
            : [];
}
