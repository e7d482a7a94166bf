namespace Meowstik.Agent.Can;

/// <summary>The <c>error</c> codes the <c>can.*</c> actions answer with.</summary>
public static class CanErrorCodes
{
    /// <summary>A parameter is missing or malformed.</summary>
    public const string InvalidParams = "invalid_params";

    /// <summary><c>can.send</c>: the id (with its format: standard or extended) is not on <see cref="CanOptions.SendAllowList"/>.</summary>
    public const string IdNotAllowed = "can_id_not_allowed";

    /// <summary><c>can.send</c>: the id's send rate is used up; try later.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary><c>can.send</c>: more than 8 data bytes (classic CAN).</summary>
    public const string PayloadTooLarge = "can_payload_too_large";

    /// <summary><c>can.send</c>: the signals do not encode (unknown message or signal, value out of range).</summary>
    public const string EncodeFailed = "can_encode_failed";

    /// <summary><c>can.send</c>: this source cannot send (a replayed log), or the bus refused the frame.</summary>
    public const string SendUnavailable = "can_send_unavailable";

    /// <summary><c>can.subscribe</c>: <see cref="CanOptions.MaxSubscriptions"/> are open.</summary>
    public const string TooManySubscriptions = "overloaded";

    /// <summary><c>can.unsubscribe</c>: no such subscription of the requester's.</summary>
    public const string UnknownSubscription = "can_unknown_subscription";
}
