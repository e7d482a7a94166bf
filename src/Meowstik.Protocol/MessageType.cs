namespace Meowstik.Protocol;

/// <summary>The <c>type</c> of a mesh message.</summary>
public enum MessageType : byte
{
    /// <summary>Not a known type (never valid on the wire).</summary>
    Unknown = 0,
    /// <summary><c>register</c>: device → hub, announces presence and capabilities.</summary>
    Register,
    /// <summary><c>command</c>: execute an action.</summary>
    Command,
    /// <summary><c>query</c>: request information.</summary>
    Query,
    /// <summary><c>response</c>: the answer to a command or query (carries <c>correlation_id</c>).</summary>
    Response,
    /// <summary><c>event</c>: something happened.</summary>
    Event,
    /// <summary><c>stream</c>: an audio, video or data chunk.</summary>
    Stream,
    /// <summary><c>heartbeat</c>: keep-alive with health figures.</summary>
    Heartbeat,
    /// <summary><c>error</c>: a typed failure (carries <c>correlation_id</c> when it answers a message).</summary>
    Error,
}
