namespace Meowstik.Hub.Core;

/// <summary>The answer to "may this identity do this?": allowed, or denied with a typed reason. A value type; no allocation.</summary>
public readonly record struct AuthDecision
{
    private AuthDecision(DenialReason reason) => Reason = reason;

    /// <summary>The allowed decision.</summary>
    public static AuthDecision Allowed => default;

    /// <summary>A denial with <paramref name="reason"/>.</summary>
    public static AuthDecision Deny(DenialReason reason) => new(reason);

    /// <summary>Why it was denied, or <see cref="DenialReason.None"/> when allowed.</summary>
    public DenialReason Reason { get; }

    /// <summary>True when the action may proceed.</summary>
    public bool IsAllowed => Reason == DenialReason.None;
}
