using System.Text.Json;

namespace Meowstik.Agent.Capabilities;

/// <summary>A successful answer to a request this agent sent to another device.</summary>
public sealed class MeshReply
{
    /// <summary>Creates a reply.</summary>
    /// <param name="from">The answering device.</param>
    /// <param name="status">The response status, when given.</param>
    /// <param name="result">The response's <c>result</c>; undefined when absent.</param>
    /// <param name="payload">The whole response payload.</param>
    public MeshReply(string from, string? status, JsonElement result, JsonElement payload)
    {
        From = from;
        Status = status;
        Result = result;
        Payload = payload;
    }

    /// <summary>The answering device.</summary>
    public string From { get; }

    /// <summary>The response status (e.g. <c>ok</c>), when given.</summary>
    public string? Status { get; }

    /// <summary>The response's <c>result</c>; <see cref="JsonValueKind.Undefined"/> when absent.</summary>
    public JsonElement Result { get; }

    /// <summary>The whole response payload.</summary>
    public JsonElement Payload { get; }
}
