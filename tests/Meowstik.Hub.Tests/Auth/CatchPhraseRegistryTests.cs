using System.Text;
using Meowstik.Hub.Core;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Hub.Tests.Auth;

public sealed class CatchPhraseRegistryTests : IDisposable
{
    private const string GrandmaPhrase = "the owl flies at noon";
    private readonly TempDatabase _db = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 19, 12, 0, 0, TimeSpan.Zero));
    private readonly AuthOptions _options = new() { CatchPhraseIterations = 1_000 };
    private readonly RecordingAuditSink _audit = new();

    public void Dispose() => _db.Dispose();

    private (AuthManager Auth, CatchPhraseRegistry Registry) Create(SqliteMeshStore store)
    {
        var auth = new AuthManager(new SqliteTokenStore(store), _options, _audit, _time);
        return (auth, new CatchPhraseRegistry(new SqliteCatchPhraseStore(store), auth));
    }

    [Fact]
    public async Task The_phrase_exchanges_for_a_short_lived_family_token_limited_to_permitted_devices()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        (AuthManager auth, CatchPhraseRegistry registry) = Create(store);
        using var _ = auth;
        await registry.RegisterAsync("Grandma", GrandmaPhrase, ["comma3x-001", "tv-001"]);

        CatchPhraseExchangeResult result = await registry.ExchangeAsync("  " + GrandmaPhrase + " ", "192.168.1.20");

        Assert.True(result.Succeeded);
        Assert.Equal(CatchPhraseFailure.None, result.Failure);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromHours(1), result.Token.ExpiresAt);
        AuthResult authenticated = await auth.AuthenticateAsync(result.Token.Secret);
        Assert.True(authenticated.Succeeded);
        MeshIdentity family = authenticated.Identity;
        Assert.Equal(MeshRole.Family, family.Role);
        Assert.Equal("Grandma", family.Subject);
        Assert.True(auth.Authorize(family, MeshAction.Query, "comma3x-001").IsAllowed);
        Assert.Equal(DenialReason.DeviceNotPermitted, auth.Authorize(family, MeshAction.Query, "desktop-001").Reason);
        Assert.Equal(DenialReason.FamilyReadOnly, auth.Authorize(family, MeshAction.Command, "comma3x-001").Reason);

        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(AuthFailure.Expired, (await auth.AuthenticateAsync(result.Token.Secret)).Failure);
        Assert.Equal(DenialReason.TokenExpired, auth.Authorize(family, MeshAction.Query, "comma3x-001").Reason);
    }

    [Fact]
    public async Task A_wrong_phrase_is_rejected_counted_and_audited()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        (AuthManager auth, CatchPhraseRegistry registry) = Create(store);
        using var _ = auth;
        await registry.RegisterAsync("Grandma", GrandmaPhrase, ["comma3x-001"]);

        CatchPhraseExchangeResult wrong = await registry.ExchangeAsync("the owl flies at midnight", "10.0.0.7");
        CatchPhraseExchangeResult caseChanged = await registry.ExchangeAsync(GrandmaPhrase.ToUpperInvariant(), "10.0.0.7");
        CatchPhraseExchangeResult tooShort = await registry.ExchangeAsync("owl", "10.0.0.7");

        Assert.Equal(CatchPhraseFailure.NoMatch, wrong.Failure);
        Assert.Equal(CatchPhraseFailure.NoMatch, caseChanged.Failure);
        Assert.Equal(CatchPhraseFailure.Malformed, tooShort.Failure);
        Assert.Null(wrong.Token);
        AuditRecord[] denials = _audit.Records.Where(r => r.Outcome == AuditOutcome.Denied).ToArray();
        Assert.Equal(3, denials.Length);
        Assert.All(denials, r => Assert.Equal(("catch_phrase", "10.0.0.7"), (r.MessageType, r.From)));
        Assert.Equal("catch_phrase_no_match", denials[0].Reason);
    }

    [Fact]
    public async Task A_source_is_rate_limited_after_N_failures_until_the_window_closes()
    {
        _options.CatchPhraseMaxFailures = 3;
        _options.CatchPhraseFailureWindow = TimeSpan.FromMinutes(15);
        await using SqliteMeshStore store = await _db.OpenAsync();
        (AuthManager auth, CatchPhraseRegistry registry) = Create(store);
        using var _ = auth;
        await registry.RegisterAsync("Grandma", GrandmaPhrase, ["comma3x-001"]);

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(CatchPhraseFailure.NoMatch, (await registry.ExchangeAsync("guess number " + i, "203.0.113.5")).Failure);
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        // Even the right phrase is refused now, and without hashing it.
        CatchPhraseExchangeResult limited = await registry.ExchangeAsync(GrandmaPhrase, "203.0.113.5");
        Assert.Equal(CatchPhraseFailure.RateLimited, limited.Failure);
        Assert.Equal(TimeSpan.FromMinutes(12), limited.RetryAfter);
        Assert.Equal("rate_limited", _audit.Records[^1].Reason);

        // Another source is unaffected.
        Assert.True((await registry.ExchangeAsync(GrandmaPhrase, "203.0.113.6")).Succeeded);

        _time.Advance(TimeSpan.FromMinutes(12));
        Assert.True((await registry.ExchangeAsync(GrandmaPhrase, "203.0.113.5")).Succeeded);
    }

    [Fact]
    public async Task Only_a_slow_salted_hash_of_the_phrase_is_stored()
    {
        await using (SqliteMeshStore store = await _db.OpenAsync())
        {
            (AuthManager auth, CatchPhraseRegistry registry) = Create(store);
            using var _ = auth;
            await registry.RegisterAsync("Grandma", GrandmaPhrase, ["comma3x-001"]);
            await registry.RegisterAsync("Grandpa", GrandmaPhrase + "!", ["comma3x-001"]);

            IReadOnlyList<CatchPhraseRecord> records = await new SqliteCatchPhraseStore(store).ListAsync();
            Assert.Equal(2, records.Count);
            Assert.All(records, r =>
            {
                Assert.Equal(1_000, r.Iterations);
                Assert.Equal(16, r.Salt.Length);
                Assert.Equal(32, r.Hash.Length);
                Assert.NotEqual(Encoding.UTF8.GetBytes(GrandmaPhrase), r.Hash);
            });
            Assert.NotEqual(records[0].Salt, records[1].Salt);
        }

        byte[] file = _db.ReadAllBytes();
        Assert.Equal(-1, file.AsSpan().IndexOf(Encoding.UTF8.GetBytes(GrandmaPhrase)));
        Assert.Equal(-1, file.AsSpan().IndexOf(Encoding.Unicode.GetBytes(GrandmaPhrase)));
        Assert.True(file.AsSpan().IndexOf(Encoding.UTF8.GetBytes("Grandma")) >= 0, "the member row exists");
    }

    [Fact]
    public async Task Phrases_survive_a_restart_and_removing_a_member_revokes_their_tokens()
    {
        await using (SqliteMeshStore store = await _db.OpenAsync())
        {
            (AuthManager auth, CatchPhraseRegistry registry) = Create(store);
            using var _ = auth;
            await registry.RegisterAsync("Grandma", GrandmaPhrase, ["comma3x-001"]);
        }

        await using (SqliteMeshStore store = await _db.OpenAsync())
        {
            (AuthManager auth, CatchPhraseRegistry registry) = Create(store);
            using var _ = auth;
            CatchPhraseExchangeResult result = await registry.ExchangeAsync(GrandmaPhrase, "10.0.0.1");
            Assert.True(result.Succeeded);
            var closed = new List<string>();
            auth.TokenRevoked += (_, e) => closed.Add(e.TokenId);

            Assert.True(await registry.RemoveAsync("Grandma"));

            Assert.Equal([result.Token.TokenId], closed);
            Assert.True(result.Token.Identity.IsRevoked);
            Assert.Equal(CatchPhraseFailure.NoMatch, (await registry.ExchangeAsync(GrandmaPhrase, "10.0.0.1")).Failure);
            Assert.Empty(await registry.ListMembersAsync());
            Assert.False(await registry.RemoveAsync("Grandma"));
        }
    }

    [Fact]
    public async Task Registration_rejects_short_phrases_and_a_phrase_already_used_by_another_member()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        (AuthManager auth, CatchPhraseRegistry registry) = Create(store);
        using var _ = auth;
        await Assert.ThrowsAsync<ArgumentException>(() => registry.RegisterAsync("Grandma", "short", ["tv-001"]));
        await Assert.ThrowsAsync<ArgumentException>(() => registry.RegisterAsync("Grandma", GrandmaPhrase, ["bad id"]));
        await registry.RegisterAsync("Grandma", GrandmaPhrase, ["tv-001"]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => registry.RegisterAsync("Grandpa", GrandmaPhrase, ["tv-001"]));

        // Re-registering the same member replaces the phrase.
        await registry.RegisterAsync("Grandma", "a brand new phrase", ["tv-001", "comma3x-001"]);
        Assert.Equal(CatchPhraseFailure.NoMatch, (await registry.ExchangeAsync(GrandmaPhrase, "s")).Failure);
        Assert.True((await registry.ExchangeAsync("a brand new phrase", "s")).Succeeded);
        Assert.Equal(["comma3x-001", "tv-001"], (await registry.ListMembersAsync())["Grandma"]);
    }
}
