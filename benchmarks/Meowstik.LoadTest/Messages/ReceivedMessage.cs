namespace Meowstik.LoadTest.Messages;

/// <summary>Reads the few fields a load-test client needs from a received envelope, without a JSON parser.</summary>
internal static class ReceivedMessage
{
    public static bool IsCommand(ReadOnlySpan<byte> message) => message.IndexOf("\"type\":\"command\""u8) >= 0;

    public static bool IsResponse(ReadOnlySpan<byte> message) => message.IndexOf("\"type\":\"response\""u8) >= 0;

    public static bool IsError(ReadOnlySpan<byte> message) => message.IndexOf("\"type\":\"error\""u8) >= 0;

    /// <summary>The load test's own broadcast event (not presence events such as the hub's <c>device_connected</c>).</summary>
    public static bool IsTickEvent(ReadOnlySpan<byte> message) =>
        message.IndexOf("\"type\":\"event\""u8) >= 0 && message.IndexOf("\"event\":\"tick\""u8) >= 0;

    /// <summary>The sender's <see cref="System.Diagnostics.Stopwatch"/> timestamp carried in <c>"t"</c>, or -1.</summary>
    public static long Stamp(ReadOnlySpan<byte> message) => Digits.ReadAfter(message, "\"t\":\""u8);

    /// <summary>The value of <c>"id"</c>, or empty.</summary>
    public static ReadOnlySpan<byte> Id(ReadOnlySpan<byte> message)
    {
        ReadOnlySpan<byte> key = "\"id\":\""u8;
        int at = message.IndexOf(key);
        if (at < 0) return default;
        ReadOnlySpan<byte> rest = message[(at + key.Length)..];
        int end = rest.IndexOf((byte)'"');
        return end < 0 ? default : rest[..end];
    }

    /// <summary>The sequence number at the end of an id made by <see cref="MessageTemplate"/>.</summary>
    public static long Sequence(ReadOnlySpan<byte> id) => id.Length >= Digits.Width ? Digits.Read(id[^Digits.Width..]) : -1;

    /// <summary>The <c>payload.code</c> of an error, for the report.</summary>
    public static string ErrorCode(ReadOnlySpan<byte> message)
    {
        ReadOnlySpan<byte> key = "\"code\":\""u8;
        int at = message.IndexOf(key);
        if (at < 0) return "unknown";
        ReadOnlySpan<byte> rest = message[(at + key.Length)..];
        int end = rest.IndexOf((byte)'"');
        return end < 0 ? "unknown" : System.Text.Encoding.UTF8.GetString(rest[..end]);
    }
}
