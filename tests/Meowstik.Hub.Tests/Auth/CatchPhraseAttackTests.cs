using Meowstik.Hub.Core;
using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Hub.Tests.Auth;

/// <summary>Issue #8, finding 6: the catch-phrase limit raced, rotating sources reset it, and the hash cost was low.</summary>
public sealed class CatchPhraseAttackTests : IDisposable
{
    private const string Phrase = "the owl flies at noon";
    private readonly TempDatabase _db = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 19, 12, 0, 0, TimeSpan.Zero));
    private readonly RecordingAuditSink _audit = new();

    public void Dispose() => _db.Dispose();

    private (AuthManager Auth, CatchPhraseRegistry Registry) Create(SqliteMeshStore store, AuthOptions options)
    {
        var auth = new AuthManager(new SqliteTokenStore(store), options, _audit, _time);
        return (auth, new CatchPhraseRegistry(new SqliteCatchPhraseStore(store), auth));
    }

    [Fact]
    public async Task Forty_concurrent_wrong_guesses_from_one_source_get_at_most_the_limit_of_answers()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        // A realistic hash cost, so the guesses really overlap while hashing (the old check-then-count window).
        (AuthManager auth, CatchPhraseRegistry registry) = Create(store, new AuthOptions { CatchPhraseIterations = 20_000 });
        using var _ = auth;
        await registry.RegisterAsync("Grandma", Phrase, ["tv-001"]);
        await registry.RegisterAsync("Grandpa", Phrase + " twice", ["tv-001"]);

        using var gate = new ManualResetEventSlim();
        Task<CatchPhraseExchangeResult>[] guesses = Enumerable.Range(0, 40)
            .Select(i => Task.Run(() =>
            {
                gate.Wait();
                return registry.ExchangeAsync("wrong guess number " + i, "203.0.113.9");
            }))
            .ToArray();
        gate.Set();
        CatchPhraseExchangeResult[] results = await Task.WhenAll(guesses);

        int invalid = results.Count(r => r.Failure == CatchPhraseFailure.NoMatch);
        int limited = results.Count(r => r.Failure == CatchPhraseFailure.RateLimited);
        Assert.True(invalid <= 5, $"{invalid} guesses were hashed and answered 'invalid' against a limit of 5");
        Assert.Equal(5, invalid);
        Assert.Equal(35, limited);
        Assert.All(results.Where(r => r.Failure == CatchPhraseFailure.RateLimited), r => Assert.True(r.RetryAfter > TimeSpan.Zero));
    }

    [Fact]
    public async Task Ten_thousand_sources_cannot_exceed_the_global_budget()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        var options = new AuthOptions { CatchPhraseIterations = 1_000, CatchPhraseGlobalMaxFailures = 100, MaxTrackedSources = 500 };
        (AuthManager auth, CatchPhraseRegistry registry) = Create(store, options);
        using var _ = auth;
        await registry.RegisterAsync("Grandma", Phrase, ["tv-001"]);

        // Cheap malformed attempts from 10 000 addresses, then real guesses: together no more than the global budget.
        var outcomes = new Dictionary<CatchPhraseFailure, int>();
        for (int i = 0; i < 10_000; i++)
        {
            string guess = i % 2 == 0 ? "x" : "a wrong guess " + i;
            CatchPhraseFailure failure = (await registry.ExchangeAsync(guess, $"2001:db8::{i:x}")).Failure;
            outcomes[failure] = outcomes.GetValueOrDefault(failure) + 1;
        }

        Assert.Equal(100, outcomes.GetValueOrDefault(CatchPhraseFailure.Malformed) + outcomes.GetValueOrDefault(CatchPhraseFailure.NoMatch));
        Assert.Equal(9_900, outcomes[CatchPhraseFailure.RateLimited]);

        // While the budget is spent even the right phrase from a fresh address is refused, unhashed; after the window it works.
        Assert.Equal(CatchPhraseFailure.RateLimited, (await registry.ExchangeAsync(Phrase, "198.51.100.1")).Failure);
        _time.Advance(options.CatchPhraseFailureWindow);
        Assert.True((await registry.ExchangeAsync(Phrase, "198.51.100.1")).Succeeded);
    }

    [Fact]
    public async Task New_phrases_use_600k_iterations_and_an_old_iteration_hash_still_verifies_then_is_upgraded()
    {
        Assert.Equal(600_000, new AuthOptions().CatchPhraseIterations);

        await using SqliteMeshStore store = await _db.OpenAsync();
        // A row written before the upgrade: 1 000 iterations recorded beside the hash.
        var phrases = new SqliteCatchPhraseStore(store);
        byte[] salt = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        byte[] hash = System.Security.Cryptography.Rfc2898DeriveBytes.Pbkdf2(
            System.Text.Encoding.UTF8.GetBytes(Phrase), salt, 1_000, System.Security.Cryptography.HashAlgorithmName.SHA256, 32);
        await phrases.UpsertAsync(new CatchPhraseRecord("Grandma", salt, hash, 1_000, ["tv-001"], _time.GetUtcNow()));

        (AuthManager auth, CatchPhraseRegistry registry) = Create(store, new AuthOptions { CatchPhraseIterations = 5_000 });
        using var _ = auth;
        Assert.True((await registry.ExchangeAsync(Phrase, "10.0.0.1")).Succeeded);

        // Re-hashed with the configured count on that success, and it still verifies (also after a restart).
        CatchPhraseRecord stored = Assert.Single(await phrases.ListAsync());
        Assert.Equal(5_000, stored.Iterations);
        Assert.NotEqual(hash, stored.Hash);
        (AuthManager auth2, CatchPhraseRegistry restarted) = Create(store, new AuthOptions { CatchPhraseIterations = 5_000 });
        using var __ = auth2;
        Assert.True((await restarted.ExchangeAsync(Phrase, "10.0.0.1")).Succeeded);
        Assert.Equal(CatchPhraseFailure.NoMatch, (await restarted.ExchangeAsync(Phrase + "?", "10.0.0.1")).Failure);
    }

    [Fact]
    public async Task Exchanges_purge_expired_tokens_so_the_table_does_not_grow_forever()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        var options = new AuthOptions
        {
            CatchPhraseIterations = 1_000,
            FamilyTokenLifetime = TimeSpan.FromHours(1),
            ExpiredTokenRetention = TimeSpan.FromDays(1),
            ExpiredTokenPurgeInterval = TimeSpan.FromHours(1),
        };
        (AuthManager auth, CatchPhraseRegistry registry) = Create(store, options);
        using var _ = auth;
        await registry.RegisterAsync("Grandma", Phrase, ["tv-001"]);

        for (int day = 0; day < 5; day++)
        {
            for (int i = 0; i < 10; i++)
            {
                Assert.True((await registry.ExchangeAsync(Phrase, "10.0.0.1")).Succeeded);
            }

            _time.Advance(TimeSpan.FromDays(1));
        }

        // Without purging there would be 50 rows; tokens expired over a day ago are gone.
        Assert.True((await registry.ExchangeAsync(Phrase, "10.0.0.1")).Succeeded);
        IReadOnlyList<TokenRecord> rows = await new SqliteTokenStore(store).ListAsync();
        Assert.InRange(rows.Count, 1, 21);
        Assert.All(rows, r => Assert.True(r.Info.ExpiresAt >= _time.GetUtcNow() - options.ExpiredTokenRetention - options.FamilyTokenLifetime));
    }

    [Fact]
    public async Task RefreshAsync_purges_at_most_once_per_interval()
    {
        await using SqliteMeshStore store = await _db.OpenAsync();
        var options = new AuthOptions { ExpiredTokenRetention = TimeSpan.Zero, ExpiredTokenPurgeInterval = TimeSpan.FromHours(1) };
        (AuthManager auth, CatchPhraseRegistry unused) = Create(store, options);
        using var owned = auth;
        await auth.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Guest, Subject = "visitor", Lifetime = TimeSpan.FromMinutes(1) });

        await auth.RefreshAsync(); // due at once, nothing expired yet
        _time.Advance(TimeSpan.FromMinutes(2));
        await auth.RefreshAsync(); // expired, but the next purge is not due yet
        Assert.Single(await new SqliteTokenStore(store).ListAsync());
        Assert.Equal(0, await auth.PurgeExpiredIfDueAsync());

        _time.Advance(TimeSpan.FromHours(1));
        await auth.RefreshAsync();
        Assert.Empty(await new SqliteTokenStore(store).ListAsync());
    }
}
