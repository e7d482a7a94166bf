using System.Buffers;
using System.Text.Json;

namespace Meowstik.Hub.Core;

/// <summary>Turns a <see cref="JsonElement"/> into UTF-8 JSON without reflection (AOT-safe).</summary>
internal static class JsonBytes
{
    public static ReadOnlyMemory<byte> From(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            element.WriteTo(writer);
        }
        return buffer.WrittenMemory;
    }

    /// <summary>Parses a JSON slice into a detached element; <c>default</c> when absent.</summary>
    public static JsonElement Parse(Protocol.Utf8JsonSlice value)
    {
        if (!value.IsPresent) return default;
        Utf8JsonReader reader = value.CreateReader();
        using JsonDocument document = JsonDocument.ParseValue(ref reader);
        return document.RootElement.Clone();
    }
}
