namespace Meowstik.Hub.Core;

/// <summary>
/// The authorization rules as a pure function of the identity, the action, the target and the current time (behind
/// <see cref="AuthManager.Evaluate"/> and <see cref="AuthManager.Authorize(MeshIdentity, MeshAction, ReadOnlySpan{char})"/>).
/// In-memory and allocation-free: it runs for every routed message.
/// </summary>
internal static class AuthPolicy
{
    /// <inheritdoc cref="AuthManager.Evaluate"/>
    public static AuthDecision Evaluate(MeshIdentity identity, MeshAction action, ReadOnlySpan<char> target, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if ((uint)action > (uint)MeshAction.Administer)
        {
            return AuthDecision.Deny(DenialReason.UnknownAction);
        }

        if (identity.IsRevoked)
        {
            return AuthDecision.Deny(DenialReason.TokenRevoked);
        }

        if (now >= identity.ExpiresAt)
        {
            return AuthDecision.Deny(DenialReason.TokenExpired);
        }

        if (action is MeshAction.Heartbeat or MeshAction.HubRequest)
        {
            return AuthDecision.Allowed;
        }

        if (target.IsEmpty && action is MeshAction.Register or MeshAction.Command or MeshAction.Query or MeshAction.Observe)
        {
            return AuthDecision.Deny(DenialReason.MissingTarget);
        }

        return identity.Role switch
        {
            MeshRole.Creator => AuthDecision.Allowed,
            MeshRole.Family => EvaluateFamily(identity, action, target),
            MeshRole.Device => EvaluateDevice(identity, action, target),
            _ => AuthDecision.Deny(action == MeshAction.Administer
                ? DenialReason.ActionNotAllowedForRole
                : DenialReason.GuestNoDeviceAccess),
        };
    }

    private static AuthDecision EvaluateFamily(MeshIdentity identity, MeshAction action, ReadOnlySpan<char> target) => action switch
    {
        MeshAction.Query or MeshAction.Observe => identity.IsPermitted(target)
            ? AuthDecision.Allowed
            : AuthDecision.Deny(DenialReason.DeviceNotPermitted),
        MeshAction.Administer or MeshAction.Register => AuthDecision.Deny(DenialReason.ActionNotAllowedForRole),
        _ => AuthDecision.Deny(DenialReason.FamilyReadOnly),
    };

    private static AuthDecision EvaluateDevice(MeshIdentity identity, MeshAction action, ReadOnlySpan<char> target)
    {
        switch (action)
        {
            case MeshAction.Register:
                return target.SequenceEqual(identity.DeviceId) ? AuthDecision.Allowed : AuthDecision.Deny(DenialReason.DeviceIdMismatch);
            case MeshAction.Response:
                return AuthDecision.Allowed;
            case MeshAction.Event or MeshAction.Stream:
                // Its own events/streams go to the hub or to subscribers freely; aiming one at a specific device needs a grant.
                return target.IsEmpty || target is "*" || identity.IsGranted(target)
                    ? AuthDecision.Allowed
                    : AuthDecision.Deny(DenialReason.NotGranted);
            case MeshAction.Observe:
                return target.SequenceEqual(identity.DeviceId) || identity.IsGranted(target)
                    ? AuthDecision.Allowed
                    : AuthDecision.Deny(DenialReason.NotGranted);
            case MeshAction.Command or MeshAction.Query:
                return identity.IsGranted(target) ? AuthDecision.Allowed : AuthDecision.Deny(DenialReason.NotGranted);
            default:
                return AuthDecision.Deny(DenialReason.ActionNotAllowedForRole);
        }
    }
}
