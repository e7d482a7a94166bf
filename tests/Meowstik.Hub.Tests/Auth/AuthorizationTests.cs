using Meowstik.Hub.Core;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Hub.Tests.Auth;

public sealed class AuthorizationTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 19, 12, 0, 0, TimeSpan.Zero);

    private static MeshIdentity Identity(MeshRole role) => role switch
    {
        MeshRole.Creator => new MeshIdentity("tok_c", role, "Jason", null, null, null, Now.AddDays(1)),
        MeshRole.Family => new MeshIdentity("tok_f", role, "Grandma", null, ["comma3x-001"], null, Now.AddHours(1)),
        MeshRole.Device => new MeshIdentity("tok_d", role, "Desktop", "desktop-001", null, ["alexa-001"], Now.AddDays(1)),
        _ => new MeshIdentity("tok_g", role, "Visitor", null, null, null, Now.AddDays(1)),
    };

    // Targets: "" = the hub, "*" = broadcast, otherwise a device id.
    public static TheoryData<MeshRole, MeshAction, string, DenialReason> Table => new()
    {
        // Everyone may keep alive and talk to the hub itself.
        { MeshRole.Guest, MeshAction.Heartbeat, "", DenialReason.None },
        { MeshRole.Guest, MeshAction.HubRequest, "", DenialReason.None },
        { MeshRole.Family, MeshAction.Heartbeat, "", DenialReason.None },
        { MeshRole.Device, MeshAction.HubRequest, "", DenialReason.None },

        // Creator: full access.
        { MeshRole.Creator, MeshAction.Command, "alexa-001", DenialReason.None },
        { MeshRole.Creator, MeshAction.Command, "*", DenialReason.None },
        { MeshRole.Creator, MeshAction.Query, "comma3x-001", DenialReason.None },
        { MeshRole.Creator, MeshAction.Register, "creator-phone", DenialReason.None },
        { MeshRole.Creator, MeshAction.Stream, "tv-001", DenialReason.None },
        { MeshRole.Creator, MeshAction.Observe, "comma3x-001", DenialReason.None },
        { MeshRole.Creator, MeshAction.Administer, "", DenialReason.None },
        { MeshRole.Creator, MeshAction.Command, "", DenialReason.MissingTarget },

        // Family: read-only on permitted devices.
        { MeshRole.Family, MeshAction.Query, "comma3x-001", DenialReason.None },
        { MeshRole.Family, MeshAction.Observe, "comma3x-001", DenialReason.None },
        { MeshRole.Family, MeshAction.Query, "desktop-001", DenialReason.DeviceNotPermitted },
        { MeshRole.Family, MeshAction.Query, "*", DenialReason.DeviceNotPermitted },
        { MeshRole.Family, MeshAction.Observe, "desktop-001", DenialReason.DeviceNotPermitted },
        { MeshRole.Family, MeshAction.Command, "comma3x-001", DenialReason.FamilyReadOnly },
        { MeshRole.Family, MeshAction.Event, "", DenialReason.FamilyReadOnly },
        { MeshRole.Family, MeshAction.Stream, "comma3x-001", DenialReason.FamilyReadOnly },
        { MeshRole.Family, MeshAction.Response, "", DenialReason.FamilyReadOnly },
        { MeshRole.Family, MeshAction.Register, "comma3x-001", DenialReason.ActionNotAllowedForRole },
        { MeshRole.Family, MeshAction.Administer, "", DenialReason.ActionNotAllowedForRole },
        { MeshRole.Family, MeshAction.Query, "", DenialReason.MissingTarget },

        // Guest: no device access.
        { MeshRole.Guest, MeshAction.Query, "comma3x-001", DenialReason.GuestNoDeviceAccess },
        { MeshRole.Guest, MeshAction.Command, "alexa-001", DenialReason.GuestNoDeviceAccess },
        { MeshRole.Guest, MeshAction.Observe, "alexa-001", DenialReason.GuestNoDeviceAccess },
        { MeshRole.Guest, MeshAction.Event, "", DenialReason.GuestNoDeviceAccess },
        { MeshRole.Guest, MeshAction.Register, "guest-phone", DenialReason.GuestNoDeviceAccess },
        { MeshRole.Guest, MeshAction.Administer, "", DenialReason.ActionNotAllowedForRole },

        // Device: its own registration, events, streams, responses; commands/queries only where granted.
        { MeshRole.Device, MeshAction.Register, "desktop-001", DenialReason.None },
        { MeshRole.Device, MeshAction.Register, "alexa-001", DenialReason.DeviceIdMismatch },
        { MeshRole.Device, MeshAction.Register, "desktop-0011", DenialReason.DeviceIdMismatch },
        { MeshRole.Device, MeshAction.Event, "", DenialReason.None },
        { MeshRole.Device, MeshAction.Event, "*", DenialReason.None },
        { MeshRole.Device, MeshAction.Stream, "", DenialReason.None },
        { MeshRole.Device, MeshAction.Stream, "alexa-001", DenialReason.None },
        { MeshRole.Device, MeshAction.Stream, "tv-001", DenialReason.NotGranted },
        { MeshRole.Device, MeshAction.Response, "hub", DenialReason.None },
        { MeshRole.Device, MeshAction.Command, "alexa-001", DenialReason.None },
        { MeshRole.Device, MeshAction.Query, "alexa-001", DenialReason.None },
        { MeshRole.Device, MeshAction.Command, "tv-001", DenialReason.NotGranted },
        { MeshRole.Device, MeshAction.Command, "*", DenialReason.NotGranted },
        { MeshRole.Device, MeshAction.Query, "comma3x-001", DenialReason.NotGranted },
        { MeshRole.Device, MeshAction.Observe, "desktop-001", DenialReason.None },
        { MeshRole.Device, MeshAction.Observe, "alexa-001", DenialReason.None },
        { MeshRole.Device, MeshAction.Observe, "tv-001", DenialReason.NotGranted },
        { MeshRole.Device, MeshAction.Administer, "", DenialReason.ActionNotAllowedForRole },
        { MeshRole.Device, MeshAction.Command, "", DenialReason.MissingTarget },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Each_role_is_allowed_exactly_its_actions(MeshRole role, MeshAction action, string target, DenialReason expected)
    {
        AuthDecision decision = AuthManager.Evaluate(Identity(role), action, target, Now);
        Assert.Equal(expected, decision.Reason);
        Assert.Equal(expected == DenialReason.None, decision.IsAllowed);
    }

    [Fact]
    public void Wildcard_grants_and_permissions_cover_every_device()
    {
        var device = new MeshIdentity("tok_1", MeshRole.Device, "Home server", "homeserver-001", null, ["*"], Now.AddDays(1));
        var family = new MeshIdentity("tok_2", MeshRole.Family, "Mom", null, ["*"], null, Now.AddDays(1));

        Assert.True(AuthManager.Evaluate(device, MeshAction.Command, "anything", Now).IsAllowed);
        Assert.True(AuthManager.Evaluate(device, MeshAction.Command, "*", Now).IsAllowed);
        Assert.True(AuthManager.Evaluate(family, MeshAction.Query, "anything", Now).IsAllowed);
        Assert.Equal(DenialReason.FamilyReadOnly, AuthManager.Evaluate(family, MeshAction.Command, "anything", Now).Reason);
    }

    [Fact]
    public void Undefined_action_is_denied()
    {
        Assert.Equal(DenialReason.UnknownAction, AuthManager.Evaluate(Identity(MeshRole.Creator), (MeshAction)99, "x", Now).Reason);
    }

    [Fact]
    public void Reason_codes_are_stable_snake_case()
    {
        Assert.Equal("not_granted", DenialReason.NotGranted.ToCode());
        Assert.Equal("family_read_only", DenialReason.FamilyReadOnly.ToCode());
        Assert.Equal("token_revoked", AuthFailure.Revoked.ToCode());
        Assert.Equal("rate_limited", CatchPhraseFailure.RateLimited.ToCode());
        foreach (DenialReason reason in Enum.GetValues<DenialReason>())
        {
            Assert.Matches("^[a-z_]+$", reason.ToCode());
        }
    }

    [Fact]
    public void Authorize_allocates_nothing()
    {
        var time = new FakeTimeProvider(Now);
        using var auth = new AuthManager(new ListOnlyTokenStore(), timeProvider: time);
        MeshIdentity device = Identity(MeshRole.Device);
        MeshIdentity family = Identity(MeshRole.Family);
        ReadOnlySpan<char> target = "prefix:alexa-001".AsSpan(7);
        int allowed = 0;
        for (int i = 0; i < 100; i++)
        {
            allowed += Run(auth, device, family, target);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            allowed += Run(auth, device, family, target);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(1100 * 3, allowed);

        static int Run(AuthManager auth, MeshIdentity device, MeshIdentity family, ReadOnlySpan<char> target)
        {
            int n = 0;
            n += auth.Authorize(device, MeshAction.Command, target).IsAllowed ? 1 : 0;
            n += auth.Authorize(device, MeshAction.Event, "").IsAllowed ? 1 : 0;
            n += auth.Authorize(family, MeshAction.Query, "comma3x-001").IsAllowed ? 1 : 0;
            n += auth.Authorize(family, MeshAction.Command, "comma3x-001").IsAllowed ? 1 : 0;
            return n;
        }
    }
}
