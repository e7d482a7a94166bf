namespace Meowstik.Protocol;

/// <summary>Wire names of <see cref="MessageType"/> values, as UTF-8.</summary>
public static class MessageTypes
{
    /// <summary>Returns the wire name of <paramref name="type"/> (e.g. <c>command</c>), or an empty span for <see cref="MessageType.Unknown"/>.</summary>
    public static ReadOnlySpan<byte> GetUtf8Name(MessageType type) => type switch
    {
        MessageType.Register => "register"u8,
        MessageType.Command => "command"u8,
        MessageType.Query => "query"u8,
        MessageType.Response => "response"u8,
        MessageType.Event => "event"u8,
        MessageType.Stream => "stream"u8,
        MessageType.Heartbeat => "heartbeat"u8,
        MessageType.Error => "error"u8,
        _ => default,
    };

    /// <summary>Returns the wire name of <paramref name="type"/> as a string (e.g. <c>command</c>).</summary>
    public static string GetName(MessageType type) => type switch
    {
        MessageType.Register => "register",
        MessageType.Command => "command",
        MessageType.Query => "query",
        MessageType.Response => "response",
        MessageType.Event => "event",
        MessageType.Stream => "stream",
        MessageType.Heartbeat => "heartbeat",
        MessageType.Error => "error",
        _ => "unknown",
    };

    /// <summary>Parses a wire name (case-sensitive, as the protocol requires).</summary>
    public static MessageType Parse(ReadOnlySpan<byte> utf8Name)
    {
        // Dispatch on length first: every name has a distinct length except command/stream... which differ by first byte.
        switch (utf8Name.Length)
        {
            case 5:
                if (utf8Name.SequenceEqual("query"u8)) return MessageType.Query;
                if (utf8Name.SequenceEqual("event"u8)) return MessageType.Event;
                if (utf8Name.SequenceEqual("error"u8)) return MessageType.Error;
                break;
            case 6:
                if (utf8Name.SequenceEqual("stream"u8)) return MessageType.Stream;
                break;
            case 7:
                if (utf8Name.SequenceEqual("command"u8)) return MessageType.Command;
                break;
            case 8:
                if (utf8Name.SequenceEqual("register"u8)) return MessageType.Register;
                if (utf8Name.SequenceEqual("response"u8)) return MessageType.Response;
                break;
            case 9:
                if (utf8Name.SequenceEqual("heartbeat"u8)) return MessageType.Heartbeat;
                break;
        }
        return MessageType.Unknown;
    }
}
