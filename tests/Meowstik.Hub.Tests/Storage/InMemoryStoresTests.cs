using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Hub.Tests.Storage;

/// <summary>The in-memory defaults of Hub.Core behave like the SQLite stores for what the hub relies on.</summary>
public sealed class InMemoryStoresTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Tokens_issue_authenticate_revoke_and_purge_in_memory()
    {
        var store = new InMemoryTokenStore();
        using var auth = new AuthManager(store, new AuthOptions { ExpiredTokenRetention = TimeSpan.Zero }, timeProvider: _time);
        IssuedToken device = await auth.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = "tv", DeviceId = "tv-001" });
        IssuedToken guest = await auth.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Guest, Subject = "visitor", Lifetime = TimeSpan.FromMinutes(5) });

        Assert.True((await auth.AuthenticateAsync(device.Secret)).Succeeded);
        Assert.Equal(2, store.Count);
        Assert.All(await store.ListAsync(), r => Assert.StartsWith(AuthManager.TokenIdPrefix, r.Info.TokenId));

        Assert.Equal([device.TokenId], await auth.RevokeDeviceAsync("tv-001"));
        Assert.False((await auth.AuthenticateAsync(device.Secret)).Succeeded);
        Assert.False(await store.RevokeAsync(device.TokenId, _time.GetUtcNow()));

        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(1, await store.DeleteExpiredAsync(_time.GetUtcNow()));
        Assert.Null(await store.FindByHashAsync(new byte[TokenRecord.HashLength]));
        Assert.DoesNotContain(await store.ListAsync(), r => r.Info.TokenId == guest.TokenId);
    }

    [Fact]
    public async Task Token_store_refuses_a_duplicate_id_or_hash_and_hands_out_copies()
    {
        var store = new InMemoryTokenStore();
        byte[] hash = new byte[TokenRecord.HashLength];
        hash[0] = 1;
        var info = new TokenInfo { TokenId = "tok_a", Role = MeshRole.Guest, Subject = "a", IssuedAt = _time.GetUtcNow(), ExpiresAt = _time.GetUtcNow().AddDays(1) };
        await store.AddAsync(new TokenRecord(hash, info));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.AddAsync(new TokenRecord(new byte[TokenRecord.HashLength], info)));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.AddAsync(new TokenRecord(hash, info with { TokenId = "tok_b" })));

        TokenRecord found = (await store.FindByHashAsync(hash))!;
        found.Hash[0] = 9;
        Assert.NotNull(await store.FindByHashAsync(hash));
    }

    [Fact]
    public async Task Catch_phrases_register_and_exchange_in_memory()
    {
        using var auth = new AuthManager(new InMemoryTokenStore(), new AuthOptions { CatchPhraseIterations = 1_000 }, timeProvider: _time);
        var phrases = new InMemoryCatchPhraseStore();
        var registry = new CatchPhraseRegistry(phrases, auth);
        await registry.RegisterAsync("mom", "purple elephant dances", ["tv-001"]);

        CatchPhraseExchangeResult result = await registry.ExchangeAsync("purple elephant dances", "10.0.0.2");
        Assert.True(result.Succeeded);
        Assert.Equal(["tv-001"], result.Token.Identity.PermittedDevices);
        Assert.Equal("mom", Assert.Single(await phrases.ListAsync()).Member);
        Assert.True(await phrases.RemoveAsync("mom"));
        Assert.Empty(await phrases.ListAsync());
    }

    [Fact]
    public async Task Audit_sink_keeps_the_newest_records_and_answers_queries_like_the_sqlite_sink()
    {
        var sink = new InMemoryAuditSink(capacity: 3);
        DateTimeOffset t0 = _time.GetUtcNow();
        for (int i = 0; i < 5; i++)
        {
            Assert.True(sink.TryWrite(AuditRecord.ForMessage(t0.AddSeconds(i), $"m{i}", "event", i % 2 == 0 ? "tv-001" : "car-001", "hub", 10, AuditOutcome.Delivered)));
        }

        IAuditSink posting = sink;
        Assert.True(posting.TryWriteMessage(t0.AddSeconds(5), "m5"u8, "command", "car-001", "tv-001", 12, AuditOutcome.Rejected, "forbidden"));
        Assert.Equal(3, sink.Count);
        Assert.Equal(6, sink.WrittenCount);
        Assert.Equal(3, sink.EvictedCount);
        Assert.False(posting.IsBackpressured);
        await sink.FlushAsync();

        Assert.Equal(["m3", "m4", "m5"], (await sink.QueryAsync(new AuditQuery())).Select(r => r.MessageId));
        Assert.Equal(["m5", "m4"], (await sink.QueryAsync(new AuditQuery { DeviceId = "tv-001", NewestFirst = true })).Select(r => r.MessageId));
        Assert.Equal(["m5"], (await sink.QueryAsync(new AuditQuery { Outcome = AuditOutcome.Rejected })).Select(r => r.MessageId));
        Assert.Equal(["m4"], (await sink.QueryAsync(new AuditQuery { Since = t0.AddSeconds(4), Until = t0.AddSeconds(5) })).Select(r => r.MessageId));
        Assert.Equal(["m3"], (await sink.QueryAsync(new AuditQuery { Limit = 1 })).Select(r => r.MessageId));
        Assert.Empty(await sink.QueryAsync(new AuditQuery { Kind = AuditKind.Auth }));
    }

    [Fact]
    public async Task A_hub_needs_no_audit_sink_and_no_catch_phrase_store()
    {
        await using MeshHub hub = await MeshHub.CreateAsync(new MeshHubStores { Tokens = new InMemoryTokenStore() }, timeProvider: _time);

        Assert.Null(hub.Audit);
        Assert.Null(hub.CatchPhrases);
        IssuedToken token = await hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Creator, Subject = "jason" });
        Assert.True((await hub.Auth.AuthenticateAsync(token.Secret)).Succeeded);
        await Assert.ThrowsAsync<InvalidOperationException>(() => hub.RegisterCatchPhraseAsync("mom", "purple elephant dances", ["tv-001"]));
    }

    [Fact]
    public async Task Creating_a_hub_with_invalid_options_disposes_the_stores_it_was_given()
    {
        var audit = new DisposableAuditSink();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            MeshHub.CreateAsync(new MeshHubStores { Tokens = new InMemoryTokenStore(), Audit = audit }, new MeshHubOptions { RateLimitBurst = 0 }));
        Assert.True(audit.Disposed);
    }

    private sealed class DisposableAuditSink : IAuditSink, IAsyncDisposable
    {
        public bool Disposed { get; private set; }

        public bool TryWrite(in AuditRecord record) => true;

        public Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<AuditRecord>>([]);

        public Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
