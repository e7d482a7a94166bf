using System.Security.Cryptography;
using System.Text;
using Meowstik.Hub.Core;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Hub.Tests.Auth;

public sealed class AuthManagerTests : IDisposable
{
    private readonly TempDatabase _db = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 19, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _db.Dispose();

    private static TokenIssueRequest DeviceRequest(string deviceId, params string[] grants) => new()
    {
        Role = MeshRole.Device,
        Subject = deviceId + " name",
        DeviceId = deviceId,
        CommandGrants = grants,
    };

    [Fact]
    public async Task Issued_token_authenticates_to_its_identity()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        using var auth = new AuthManager(new SqliteTokenStore(store), timeProvider: _time);

        IssuedToken issued = await auth.IssueTokenAsync(DeviceRequest("desktop-001", "alexa-001"));

        Assert.StartsWith(AuthManager.SecretPrefix, issued.Secret);
        Assert.Equal(AuthManager.SecretLength, issued.Secret.Length);
        Assert.StartsWith(AuthManager.TokenIdPrefix, issued.TokenId);
        Assert.DoesNotContain(issued.Secret, issued.ToString());
        Assert.Equal(_time.GetUtcNow() + new AuthOptions().DefaultTokenLifetime, issued.ExpiresAt);

        AuthResult result = await auth.AuthenticateAsync(issued.Secret, "127.0.0.1");
        Assert.True(result.Succeeded);
        Assert.Equal(AuthFailure.None, result.Failure);
        Assert.Equal(issued.TokenId, result.Identity.TokenId);
        Assert.Equal(MeshRole.Device, result.Identity.Role);
        Assert.Equal("desktop-001", result.Identity.DeviceId);
        Assert.Equal(["alexa-001"], result.Identity.CommandGrants);
    }

    [Fact]
    public async Task Two_issued_tokens_have_distinct_random_secrets_and_ids()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        using var auth = new AuthManager(new SqliteTokenStore(store), timeProvider: _time);
        IssuedToken a = await auth.IssueTokenAsync(DeviceRequest("d1"));
        IssuedToken b = await auth.IssueTokenAsync(DeviceRequest("d1"));
        Assert.NotEqual(a.Secret, b.Secret);
        Assert.NotEqual(a.TokenId, b.TokenId);
        // 43 base64url chars carry 258 bits, so 32 random bytes (256 bits) fill them.
        Assert.Equal(32, Convert.FromBase64String(ToBase64(a.Secret[AuthManager.SecretPrefix.Length..])).Length);
    }

    [Theory]
    [InlineData(null, AuthFailure.Missing)]
    [InlineData("", AuthFailure.Missing)]
    [InlineData("hello", AuthFailure.Malformed)]
    [InlineData("mtk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", AuthFailure.Malformed)] // 42 chars
    [InlineData("mtk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", AuthFailure.Malformed)] // not base64url
    [InlineData("xyz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", AuthFailure.Malformed)]
    [InlineData("mtk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", AuthFailure.Unknown)]
    public async Task Bad_tokens_fail_with_a_typed_reason(string? token, AuthFailure expected)
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        using var auth = new AuthManager(new SqliteTokenStore(store), timeProvider: _time);
        await auth.IssueTokenAsync(DeviceRequest("d1"));

        AuthResult result = await auth.AuthenticateAsync(token, "10.0.0.9");

        Assert.False(result.Succeeded);
        Assert.Null(result.Identity);
        Assert.Equal(expected, result.Failure);
    }

    [Fact]
    public async Task Token_expires_at_its_lifetime()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        using var auth = new AuthManager(new SqliteTokenStore(store), timeProvider: _time);
        IssuedToken issued = await auth.IssueTokenAsync(new TokenIssueRequest
        {
            Role = MeshRole.Device, Subject = "d1", DeviceId = "d1", Lifetime = TimeSpan.FromMinutes(10),
        });

        _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        AuthResult before = await auth.AuthenticateAsync(issued.Secret);
        Assert.True(before.Succeeded);
        Assert.True(auth.Authorize(before.Identity, MeshAction.Event, "").IsAllowed);

        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(AuthFailure.Expired, (await auth.AuthenticateAsync(issued.Secret)).Failure);
        // A connection authenticated earlier is refused from now on.
        Assert.Equal(DenialReason.TokenExpired, auth.Authorize(before.Identity, MeshAction.Event, "").Reason);
    }

    [Fact]
    public async Task Revoking_a_token_fails_authentication_denies_live_identities_and_notifies_with_device_id()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        using var auth = new AuthManager(new SqliteTokenStore(store), timeProvider: _time);
        IssuedToken issued = await auth.IssueTokenAsync(DeviceRequest("comma3x-001"));
        IssuedToken other = await auth.IssueTokenAsync(DeviceRequest("desktop-001"));
        MeshIdentity live = (await auth.AuthenticateAsync(issued.Secret)).Identity!;
        var notices = new List<TokenRevokedEventArgs>();
        auth.TokenRevoked += (_, e) => notices.Add(e);

        Assert.True(await auth.RevokeTokenAsync(issued.TokenId));
        Assert.False(await auth.RevokeTokenAsync(issued.TokenId)); // already revoked: no second notice

        TokenRevokedEventArgs notice = Assert.Single(notices);
        Assert.Equal(issued.TokenId, notice.TokenId);
        Assert.Equal("comma3x-001", notice.DeviceId);
        Assert.Equal(MeshRole.Device, notice.Role);
        Assert.Equal(_time.GetUtcNow(), notice.RevokedAt);
        Assert.True(live.IsRevoked);
        Assert.Equal(DenialReason.TokenRevoked, auth.Authorize(live, MeshAction.Event, "").Reason);
        Assert.Equal(AuthFailure.Revoked, (await auth.AuthenticateAsync(issued.Secret)).Failure);
        Assert.True((await auth.AuthenticateAsync(other.Secret)).Succeeded);
        Assert.False(await auth.RevokeTokenAsync("tok_nope"));
    }

    [Fact]
    public async Task Revoking_a_device_revokes_all_of_its_tokens_and_only_those()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        using var auth = new AuthManager(new SqliteTokenStore(store), timeProvider: _time);
        IssuedToken a1 = await auth.IssueTokenAsync(DeviceRequest("alexa-001"));
        IssuedToken a2 = await auth.IssueTokenAsync(DeviceRequest("alexa-001"));
        IssuedToken b = await auth.IssueTokenAsync(DeviceRequest("tv-001"));
        var notices = new List<TokenRevokedEventArgs>();
        auth.TokenRevoked += (_, e) => notices.Add(e);
        auth.TokenRevoked += (_, _) => throw new InvalidOperationException("a broken subscriber must not stop the others");
        auth.TokenRevoked += (_, e) => notices.Add(e);

        IReadOnlyList<string> revoked = await auth.RevokeDeviceAsync("alexa-001");

        Assert.Equal(new[] { a1.TokenId, a2.TokenId }.Order(), revoked.Order());
        Assert.Equal(4, notices.Count);
        Assert.All(notices, n => Assert.Equal("alexa-001", n.DeviceId));
        Assert.Equal(AuthFailure.Revoked, (await auth.AuthenticateAsync(a1.Secret)).Failure);
        Assert.Equal(AuthFailure.Revoked, (await auth.AuthenticateAsync(a2.Secret)).Failure);
        Assert.True((await auth.AuthenticateAsync(b.Secret)).Succeeded);
        Assert.Empty(await auth.RevokeDeviceAsync("alexa-001"));
    }

    [Fact]
    public async Task Tokens_and_revocations_survive_a_restart()
    {
        IssuedToken kept, revoked;
        await using (SqliteMeshStore store = await _db.OpenAsync())
        {
            using var auth = new AuthManager(new SqliteTokenStore(store), timeProvider: _time);
            kept = await auth.IssueTokenAsync(new TokenIssueRequest
            {
                Role = MeshRole.Family, Subject = "Grandma", PermittedDevices = ["comma3x-001", "tv-001"],
            });
            revoked = await auth.IssueTokenAsync(DeviceRequest("alexa-001"));
            await auth.RevokeDeviceAsync("alexa-001");
        }

        await using (SqliteMeshStore reopened = await _db.OpenAsync())
        {
            using var auth = new AuthManager(new SqliteTokenStore(reopened), timeProvider: _time);
            AuthResult ok = await auth.AuthenticateAsync(kept.Secret);
            Assert.True(ok.Succeeded);
            Assert.Equal(MeshRole.Family, ok.Identity.Role);
            Assert.Equal("Grandma", ok.Identity.Subject);
            Assert.Equal(["comma3x-001", "tv-001"], ok.Identity.PermittedDevices.Order());
            Assert.Equal(kept.ExpiresAt, ok.Identity.ExpiresAt);
            Assert.Equal(AuthFailure.Revoked, (await auth.AuthenticateAsync(revoked.Secret)).Failure);

            IReadOnlyList<TokenInfo> listed = await auth.ListTokensAsync();
            Assert.Equal(2, listed.Count);
            Assert.True(listed.Single(t => t.TokenId == revoked.TokenId).IsRevoked);
            Assert.False(listed.Single(t => t.TokenId == kept.TokenId).IsRevoked);
        }
    }

    [Fact]
    public async Task Database_holds_the_sha256_hash_and_never_the_secret()
    {
        IssuedToken issued;
        await using (SqliteMeshStore store = await _db.OpenAsync())
        {
            using var auth = new AuthManager(new SqliteTokenStore(store), timeProvider: _time);
            issued = await auth.IssueTokenAsync(DeviceRequest("desktop-001"));
        }

        byte[] file = _db.ReadAllBytes();
        byte[] secretUtf8 = Encoding.UTF8.GetBytes(issued.Secret);
        byte[] secretBody = Encoding.UTF8.GetBytes(issued.Secret[AuthManager.SecretPrefix.Length..]);
        byte[] secretUtf16 = Encoding.Unicode.GetBytes(issued.Secret);
        byte[] hash = SHA256.HashData(secretUtf8);

        Assert.Equal(-1, file.AsSpan().IndexOf(secretUtf8));
        Assert.Equal(-1, file.AsSpan().IndexOf(secretBody));
        Assert.Equal(-1, file.AsSpan().IndexOf(secretUtf16));
        Assert.True(file.AsSpan().IndexOf(hash) >= 0, "the SHA-256 hash of the secret is stored");
        Assert.True(file.AsSpan().IndexOf(Encoding.UTF8.GetBytes(issued.TokenId)) >= 0, "the token row exists");
    }

    [Fact]
    public async Task A_cached_hash_that_matches_only_in_its_index_prefix_is_rejected_by_the_full_comparison()
    {
        // The cache is indexed by the first 128 bits of the hash; the full 256 bits are then compared with
        // CryptographicOperations.FixedTimeEquals. A stored hash sharing the prefix but not the rest must not match.
        string secret = AuthManager.SecretPrefix + new string('Q', AuthManager.SecretLength - AuthManager.SecretPrefix.Length);
        byte[] real = SHA256.HashData(Encoding.ASCII.GetBytes(secret));
        byte[] forged = (byte[])real.Clone();
        forged[31] ^= 0x01;
        var store = new ListOnlyTokenStore(new TokenRecord(forged, Info("tok_forged")));
        using var auth = new AuthManager(store, timeProvider: _time);

        Assert.Equal(AuthFailure.Unknown, (await auth.AuthenticateAsync(secret)).Failure);

        var honest = new ListOnlyTokenStore(new TokenRecord(real, Info("tok_real")));
        using var auth2 = new AuthManager(honest, timeProvider: _time);
        Assert.True((await auth2.AuthenticateAsync(secret)).Succeeded);
    }

    [Fact]
    public async Task Authentication_is_served_from_the_cache_not_the_store()
    {
        var inner = new CountingTokenStore(new ListOnlyTokenStore());
        using var auth = new AuthManager(inner, timeProvider: _time);
        IssuedToken issued = await auth.IssueTokenAsync(DeviceRequest("d1"));
        int listsAfterIssue = inner.Lists;

        for (int i = 0; i < 5; i++)
        {
            Assert.True((await auth.AuthenticateAsync(issued.Secret)).Succeeded);
            Assert.Equal(AuthFailure.Unknown, (await auth.AuthenticateAsync("mtk_" + new string('z', 43))).Failure);
        }

        Assert.Equal(1, listsAfterIssue);
        Assert.Equal(1, inner.Lists);
        Assert.Equal(0, inner.Finds);
    }

    [Fact]
    public async Task Every_authentication_and_revocation_is_audited()
    {
        var audit = new RecordingAuditSink();
        await using SqliteMeshStore store = await _db.OpenAsync();
        using var auth = new AuthManager(new SqliteTokenStore(store), audit: audit, timeProvider: _time);
        IssuedToken issued = await auth.IssueTokenAsync(DeviceRequest("d1"));
        await auth.AuthenticateAsync(issued.Secret, "10.0.0.1");
        await auth.AuthenticateAsync("garbage", "10.0.0.2");
        await auth.RevokeTokenAsync(issued.TokenId);

        Assert.All(audit.Records, r => Assert.Equal(AuditKind.Auth, r.Kind));
        Assert.Collection(
            audit.Records,
            r => Assert.Equal(("issue", AuditOutcome.Allowed), (r.MessageType, r.Outcome)),
            r => Assert.Equal(("authenticate", AuditOutcome.Allowed, "10.0.0.1", issued.TokenId), (r.MessageType, r.Outcome, r.From, r.To)),
            r => Assert.Equal(("authenticate", AuditOutcome.Denied, "10.0.0.2", "token_malformed"), (r.MessageType, r.Outcome, r.From, r.Reason)),
            r => Assert.Equal(("revoke", AuditOutcome.Allowed, "d1"), (r.MessageType, r.Outcome, r.To)));
    }

    [Theory]
    [InlineData(MeshRole.Device, null)]
    [InlineData(MeshRole.Device, "has space")]
    [InlineData(MeshRole.Family, "desktop-001")]
    [InlineData(MeshRole.Creator, "desktop-001")]
    public async Task Inconsistent_issue_requests_are_rejected(MeshRole role, string? deviceId)
    {
        using var auth = new AuthManager(new ListOnlyTokenStore(), timeProvider: _time);
        await Assert.ThrowsAsync<ArgumentException>(() =>
            auth.IssueTokenAsync(new TokenIssueRequest { Role = role, Subject = "x", DeviceId = deviceId }));
    }

    [Fact]
    public async Task Grants_on_a_family_token_and_permissions_on_a_device_token_are_rejected()
    {
        using var auth = new AuthManager(new ListOnlyTokenStore(), timeProvider: _time);
        await Assert.ThrowsAsync<ArgumentException>(() => auth.IssueTokenAsync(
            new TokenIssueRequest { Role = MeshRole.Family, Subject = "x", CommandGrants = ["*"] }));
        await Assert.ThrowsAsync<ArgumentException>(() => auth.IssueTokenAsync(
            new TokenIssueRequest { Role = MeshRole.Device, Subject = "x", DeviceId = "d", PermittedDevices = ["*"] }));
    }

    private TokenInfo Info(string id) => new()
    {
        TokenId = id, Role = MeshRole.Creator, Subject = "Jason", IssuedAt = _time.GetUtcNow(), ExpiresAt = _time.GetUtcNow().AddDays(1),
    };

    private static string ToBase64(string base64Url)
    {
        string s = base64Url.Replace('-', '+').Replace('_', '/');
        return s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=');
    }
}
