namespace Meowstik.Protocol;

/// <summary>WebSocket close codes used by the mesh (RFC 6455 codes plus application codes in the 4000 range).</summary>
public static class MeshCloseCodes
{
    /// <summary>1000: normal closure.</summary>
    public const int Normal = 1000;
    /// <summary>1001: the endpoint is going away (hub shutdown, agent stopping).</summary>
    public const int GoingAway = 1001;
    /// <summary>1002: WebSocket protocol error.</summary>
    public const int ProtocolError = 1002;
    /// <summary>1007: a text message was not valid UTF-8.</summary>
    public const int InvalidPayload = 1007;
    /// <summary>1008: policy violation (no <c>register</c> within the deadline, repeated bad input, outbound queue overflow).</summary>
    public const int PolicyViolation = 1008;
    /// <summary>1009: a message exceeded the size limit.</summary>
    public const int MessageTooBig = 1009;
    /// <summary>1011: unexpected server error.</summary>
    public const int InternalError = 1011;
    /// <summary>1013: try again later (hub at capacity or the client is too slow).</summary>
    public const int TryAgainLater = 1013;
    /// <summary>4001: authentication failed (unknown, expired or mismatched token). Clients must not retry in a loop.</summary>
    public const int AuthFailed = 4001;
    /// <summary>4003: replaced by a newer connection with the same device id.</summary>
    public const int Replaced = 4003;
    /// <summary>4004: the token was revoked. Clients must not retry with the same token.</summary>
    public const int TokenRevoked = 4004;
    /// <summary>4005: no traffic within the heartbeat timeout.</summary>
    public const int HeartbeatTimeout = 4005;
}
