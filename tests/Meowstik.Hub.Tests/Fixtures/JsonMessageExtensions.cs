using System.Text.Json;

namespace Meowstik.Hub.Tests.Fixtures;

/// <summary>Shortcuts for reading received envelopes in assertions.</summary>
public static class JsonMessageExtensions
{
    public static string? Type(this JsonElement message) => message.Str("type");

    public static string? Str(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static JsonElement Payload(this JsonElement message) => message.GetProperty("payload");

    /// <summary>The <c>payload.code</c> of an error.</summary>
    public static string? ErrorCode(this JsonElement message) => message.Type() == "error" ? message.Payload().Str("code") : null;

    public static bool IsError(this JsonElement message, string code) => message.ErrorCode() == code;

    public static bool IsEvent(this JsonElement message, string name) => message.Type() == "event" && message.Payload().Str("event") == name;
}
