using System.Buffers.Binary;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Hub.Core;

/// <summary>
/// The hub's front door for tokens and the policy on the routing path.
/// <list type="bullet">
/// <item>Issues random 256-bit bearer tokens (shown once; only their SHA-256 hash is stored).</item>
/// <item>Authenticates a presented token from an in-memory cache keyed by hash (no database read per connection);
/// the stored hash is confirmed with <see cref="CryptographicOperations.FixedTimeEquals"/>.</item>
/// <item>Revokes per token or per device and raises <see cref="TokenRevoked"/> so live connections can be closed at once.</item>
/// <item><see cref="Authorize(MeshIdentity, MeshAction, ReadOnlySpan{char})"/>: in-memory and allocation-free.</item>
/// </list>
/// Thread-safe. The cache is loaded from the <see cref="ITokenStore"/> on first use (or by <see cref="LoadAsync"/>) and is
/// authoritative for this process: tokens issued by another process sharing the store appear after <see cref="LoadAsync"/>.
/// </summary>
/// <example>
/// <code>
/// await using var db = await SqliteMeshStore.OpenAsync("hub.db");
/// using var auth = new AuthManager(new SqliteTokenStore(db));
/// IssuedToken issued = await auth.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = "Desktop", DeviceId = "desktop-001" });
/// AuthResult result = await auth.AuthenticateAsync(issued.Secret, source: "127.0.0.1");
/// AuthDecision decision = auth.Authorize(result.Identity!, MeshAction.Event, "");
/// </code>
/// </example>
public sealed partial class AuthManager : IDisposable
{
    /// <summary>Every secret token starts with this prefix (it makes leaked tokens easy to find by scanners).</summary>
    public const string SecretPrefix = "mtk_";

    /// <summary>Every token id starts with this prefix.</summary>
    public const string TokenIdPrefix = "tok_";

    /// <summary>Random bytes in a secret: 32 = 256 bits.</summary>
    public const int SecretBytes = 32;

    /// <summary>Length of a secret token in characters: the prefix plus 43 base64url characters.</summary>
    public static readonly int SecretLength = SecretPrefix.Length + Base64Url.GetEncodedLength(SecretBytes);

    private const int TokenIdBytes = 12;
    private const int MaxSubjectLength = 200;

    private readonly ITokenStore _store;
    private readonly IAuditSink? _audit;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _successes;
    private readonly ConcurrentDictionary<UInt128, CachedToken> _byHash = new();
    private readonly ConcurrentDictionary<string, CachedToken> _byId = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private volatile bool _loaded;
    private long _nextPurgeTicks;

    /// <summary>Creates the manager.</summary>
    /// <param name="store">Where hashed tokens live (for example <see cref="InMemoryTokenStore"/>, or <c>SqliteTokenStore</c> of <c>Meowstik.Hub.Sqlite</c>).</param>
    /// <param name="options">Lifetimes and catch-phrase settings; defaults when null.</param>
    /// <param name="audit">Receives a record for every authentication, issue and revocation; none when null.</param>
    /// <param name="timeProvider">The clock for expiry; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">Logger; silent when null.</param>
    /// <param name="meterFactory">Creates the <c>Meowstik.Hub.Core</c> meter; a standalone meter when null.</param>
    public AuthManager(
        ITokenStore store,
        AuthOptions? options = null,
        IAuditSink? audit = null,
        TimeProvider? timeProvider = null,
        ILogger<AuthManager>? logger = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        Options = options ?? new AuthOptions();
        Options.Validate();
        _store = store;
        _audit = audit;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _failures = _meter.CreateCounter<long>("auth.failures", description: "Rejected token authentications, tagged by reason.");
        _successes = _meter.CreateCounter<long>("auth.successes", description: "Successful token authentications.");
        CatchPhraseFailures = _meter.CreateCounter<long>(
            "auth.catch_phrase.failures", description: "Rejected catch-phrase exchanges, tagged by reason.");
    }

    /// <summary>The name of the meter carrying <c>auth.failures</c>, <c>auth.successes</c> and <c>auth.catch_phrase.failures</c>.</summary>
    public const string MeterName = "Meowstik.Hub.Core";

    /// <summary>
    /// Raised after a token is revoked (by id, by device, or because its family member was removed). The connection layer
    /// closes every live connection authenticated with <see cref="TokenRevokedEventArgs.TokenId"/>. Handlers run
    /// synchronously on the revoking thread; an exception in one is logged and does not stop the others. Identities
    /// already handed out are marked revoked before this fires, so <see cref="Authorize(MeshIdentity, MeshAction, ReadOnlySpan{char})"/>
    /// denies them even before their connection closes.
    /// </summary>
    public event EventHandler<TokenRevokedEventArgs>? TokenRevoked;

    /// <summary>The effective options.</summary>
    public AuthOptions Options { get; }

    /// <summary>The clock used for issue times and expiry.</summary>
    public TimeProvider TimeProvider => _time;

    internal Counter<long> CatchPhraseFailures { get; }

    internal IAuditSink? Audit => _audit;

    /// <summary>(Re)loads every stored token into the cache. Called automatically on first use.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        await _loadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            IReadOnlyList<TokenRecord> records = await _store.ListAsync(cancellationToken).ConfigureAwait(false);
            foreach (TokenRecord record in records)
            {
                CachedToken entry = _byId.GetOrAdd(record.Info.TokenId, static (_, r) => new CachedToken(r), record);
                if (record.Info.RevokedAt is { } at && entry.MarkRevoked())
                {
                    // Revoked by another process since we cached it: close its connections here too.
                    OnRevoked(entry, at);
                }

                _byHash[KeyOf(entry.Hash)] = entry;
            }

            _loaded = true;
        }
        finally
        {
            _loadLock.Release();
        }
    }

    /// <summary>Issues a new token and stores its hash. The returned <see cref="IssuedToken.Secret"/> is shown once.</summary>
    /// <exception cref="ArgumentException">The request is inconsistent (for example a device token without a device id).</exception>
    public async Task<IssuedToken> IssueTokenAsync(TokenIssueRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        Validate(request);
        TimeSpan lifetime = request.Lifetime ?? Options.DefaultTokenLifetime;
        DateTimeOffset now = _time.GetUtcNow();

        string secret = NewSecret();
        byte[] hash = new byte[TokenRecord.HashLength];
        HashSecret(secret, hash);
        var info = new TokenInfo
        {
            TokenId = TokenIdPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(TokenIdBytes)),
            Role = request.Role,
            Subject = request.Subject,
            DeviceId = request.DeviceId,
            PermittedDevices = Sorted(request.PermittedDevices),
            CommandGrants = Sorted(request.CommandGrants),
            IssuedAt = now,
            ExpiresAt = now + lifetime,
        };
        var record = new TokenRecord(hash, info);
        await _store.AddAsync(record, cancellationToken).ConfigureAwait(false);

        var entry = new CachedToken(record);
        _byId[info.TokenId] = entry;
        _byHash[KeyOf(hash)] = entry;
        Log.Issued(_logger, info.TokenId, info.Role, info.Subject, info.DeviceId);
        WriteAudit("issue", null, info.TokenId, AuditOutcome.Allowed, null, info.Role.ToString());
        return new IssuedToken(secret, entry.Identity, now);
    }

    /// <summary>Authenticates a presented secret token.</summary>
    /// <param name="token">The secret as presented (query string, header or register payload).</param>
    /// <param name="source">Where it came from (remote address), for audit and logs; may be null.</param>
    /// <param name="cancellationToken">Cancels the first-use cache load.</param>
    public ValueTask<AuthResult> AuthenticateAsync(string? token, string? source = null, CancellationToken cancellationToken = default) =>
        AuthenticateAsync(token.AsMemory(), source, cancellationToken);

    /// <inheritdoc cref="AuthenticateAsync(string?, string?, CancellationToken)"/>
    public async ValueTask<AuthResult> AuthenticateAsync(
        ReadOnlyMemory<char> token, string? source = null, CancellationToken cancellationToken = default)
    {
        if (!_loaded)
        {
            await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        }

        AuthResult result = Authenticate(token.Span, out string? tokenId);
        if (result.Succeeded)
        {
            _successes.Add(1);
            WriteAudit("authenticate", source, tokenId, AuditOutcome.Allowed, null, null);
        }
        else
        {
            string reason = result.Failure.ToCode();
            _failures.Add(1, new KeyValuePair<string, object?>("reason", reason));
            Log.AuthenticationFailed(_logger, reason, source, tokenId);
            WriteAudit("authenticate", source, tokenId, AuditOutcome.Denied, reason, null);
        }

        return result;
    }

    /// <summary>Lists every stored token (without secrets or hashes), revoked and expired ones included.</summary>
    public async Task<IReadOnlyList<TokenInfo>> ListTokensAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<TokenRecord> records = await _store.ListAsync(cancellationToken).ConfigureAwait(false);
        return records.Select(static r => r.Info).ToArray();
    }

    /// <summary>
    /// Revokes one token, persistently, and raises <see cref="TokenRevoked"/>. Returns false when no such token exists
    /// or it was already revoked.
    /// </summary>
    public async Task<bool> RevokeTokenAsync(string tokenId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenId);
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset now = _time.GetUtcNow();
        bool stored = await _store.RevokeAsync(tokenId, now, cancellationToken).ConfigureAwait(false);
        bool cached = _byId.TryGetValue(tokenId, out CachedToken? entry) && entry.MarkRevoked();
        if (cached)
        {
            OnRevoked(entry!, now);
        }

        return stored || cached;
    }

    /// <summary>
    /// Revokes every token bound to <paramref name="deviceId"/>, persistently, raising <see cref="TokenRevoked"/> for each.
    /// Returns the revoked token ids (empty when there were none).
    /// </summary>
    public async Task<IReadOnlyList<string>> RevokeDeviceAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset now = _time.GetUtcNow();
        IReadOnlyList<string> storedIds = await _store.RevokeDeviceAsync(deviceId, now, cancellationToken).ConfigureAwait(false);
        var revoked = new List<string>(storedIds);
        foreach (string id in storedIds)
        {
            if (_byId.TryGetValue(id, out CachedToken? entry) && entry.MarkRevoked())
            {
                OnRevoked(entry, now);
            }
        }

        // Cached tokens the store no longer saw as live (revoked elsewhere) still get closed here.
        foreach (CachedToken entry in _byId.Values)
        {
            if (entry.Info.DeviceId == deviceId && entry.MarkRevoked())
            {
                revoked.Add(entry.Info.TokenId);
                OnRevoked(entry, now);
            }
        }

        return revoked;
    }

    /// <summary>
    /// Revokes every live family token issued to <paramref name="member"/> (used when a catch phrase is removed).
    /// Returns the revoked token ids.
    /// </summary>
    public async Task<IReadOnlyList<string>> RevokeFamilyMemberAsync(string member, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(member);
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        var revoked = new List<string>();
        foreach (CachedToken entry in _byId.Values)
        {
            if (entry.Info.Role == MeshRole.Family && entry.Info.Subject == member && !entry.Identity.IsRevoked &&
                await RevokeTokenAsync(entry.Info.TokenId, cancellationToken).ConfigureAwait(false))
            {
                revoked.Add(entry.Info.TokenId);
            }
        }

        return revoked;
    }

    /// <summary>
    /// The periodic maintenance call: reloads the token cache (<see cref="LoadAsync"/>) and, when due, purges expired
    /// tokens (<see cref="PurgeExpiredIfDueAsync"/>). Call it on the token refresh timer instead of <see cref="LoadAsync"/>.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        await PurgeExpiredIfDueAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes tokens expired more than <see cref="AuthOptions.ExpiredTokenRetention"/> ago, at most once per
    /// <see cref="AuthOptions.ExpiredTokenPurgeInterval"/> (concurrent callers skip). Returns the rows deleted; 0 when not due.
    /// Without it every catch-phrase exchange would leave a token row behind forever.
    /// </summary>
    public async Task<int> PurgeExpiredIfDueAsync(CancellationToken cancellationToken = default)
    {
        long now = _time.GetUtcNow().UtcTicks;
        long due = Interlocked.Read(ref _nextPurgeTicks);
        if (now < due || Interlocked.CompareExchange(ref _nextPurgeTicks, now + Options.ExpiredTokenPurgeInterval.Ticks, due) != due)
        {
            return 0;
        }

        return await PurgeExpiredAsync(Options.ExpiredTokenRetention, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes stored tokens that expired more than <paramref name="grace"/> ago and drops them from the cache.</summary>
    public async Task<int> PurgeExpiredAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        DateTimeOffset before = _time.GetUtcNow() - grace;
        int deleted = await _store.DeleteExpiredAsync(before, cancellationToken).ConfigureAwait(false);
        foreach (CachedToken entry in _byId.Values)
        {
            if (entry.Info.ExpiresAt < before)
            {
                _byId.TryRemove(entry.Info.TokenId, out _);
                _byHash.TryRemove(KeyOf(entry.Hash), out _);
            }
        }

        return deleted;
    }

    /// <summary>
    /// May <paramref name="identity"/> perform <paramref name="action"/> on <paramref name="target"/>, now?
    /// In-memory and allocation-free: call it for every routed message.
    /// </summary>
    /// <param name="identity">The connection's authenticated identity.</param>
    /// <param name="action">What the message asks for (the connection layer maps message types onto it).</param>
    /// <param name="target">
    /// The device id the message is addressed to (for <see cref="MeshAction.Register"/>: the id being registered;
    /// for <see cref="MeshAction.Observe"/>: the source device). Empty when addressed to the hub; <c>*</c> for a broadcast,
    /// which is allowed only when the identity may reach every device (or filter recipients by asking per device).
    /// </param>
    public AuthDecision Authorize(MeshIdentity identity, MeshAction action, ReadOnlySpan<char> target) =>
        Evaluate(identity, action, target, _time.GetUtcNow());

    /// <inheritdoc cref="Authorize(MeshIdentity, MeshAction, ReadOnlySpan{char})"/>
    public AuthDecision Authorize(MeshIdentity identity, MeshAction action, string? target) =>
        Evaluate(identity, action, target.AsSpan(), _time.GetUtcNow());

    /// <summary>The policy as a pure function of the identity, the action, the target and the current time.</summary>
    /// <remarks>
    /// <list type="table">
    /// <listheader><term>Role</term><description>Allowed</description></listheader>
    /// <item><term>any</term><description><see cref="MeshAction.Heartbeat"/>, <see cref="MeshAction.HubRequest"/>.</description></item>
    /// <item><term>Creator</term><description>everything.</description></item>
    /// <item><term>Family</term><description><see cref="MeshAction.Query"/> and <see cref="MeshAction.Observe"/> on permitted devices.</description></item>
    /// <item><term>Device</term><description>register as its bound id; responses; events and streams to the hub or broadcast;
    /// commands, queries, observing, and events/streams addressed to a device only where granted (observing itself is always allowed).</description></item>
    /// <item><term>Guest</term><description>nothing else.</description></item>
    /// </list>
    /// <see cref="MeshAction.Administer"/> is creator-only. Register, Command, Query and Observe need a non-empty target.
    /// </remarks>
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

    /// <summary>Checks only the shape of a secret (prefix, length, base64url alphabet); no lookup.</summary>
    public static bool IsWellFormedSecret(ReadOnlySpan<char> token) =>
        token.Length == SecretLength &&
        token.StartsWith(SecretPrefix, StringComparison.Ordinal) &&
        !token[SecretPrefix.Length..].ContainsAnyExcept(Base64UrlAlphabet);

    /// <inheritdoc />
    public void Dispose()
    {
        _loadLock.Dispose();
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static readonly System.Buffers.SearchValues<char> Base64UrlAlphabet =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

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

    private AuthResult Authenticate(ReadOnlySpan<char> token, out string? tokenId)
    {
        tokenId = null;
        if (token.IsEmpty)
        {
            return AuthResult.Fail(AuthFailure.Missing);
        }

        if (!IsWellFormedSecret(token))
        {
            return AuthResult.Fail(AuthFailure.Malformed);
        }

        Span<byte> hash = stackalloc byte[TokenRecord.HashLength];
        HashSecret(token, hash);
        if (!_byHash.TryGetValue(KeyOf(hash), out CachedToken? entry) ||
            !CryptographicOperations.FixedTimeEquals(entry.Hash, hash))
        {
            return AuthResult.Fail(AuthFailure.Unknown);
        }

        tokenId = entry.Info.TokenId;
        if (entry.Identity.IsRevoked)
        {
            return AuthResult.Fail(AuthFailure.Revoked);
        }

        if (_time.GetUtcNow() >= entry.Info.ExpiresAt)
        {
            return AuthResult.Fail(AuthFailure.Expired);
        }

        return AuthResult.Success(entry.Identity);
    }

    private async ValueTask EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        // A second concurrent first-use load is harmless: LoadAsync is idempotent.
        if (!_loaded)
        {
            await LoadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void OnRevoked(CachedToken entry, DateTimeOffset at)
    {
        TokenInfo info = entry.Info;
        Log.Revoked(_logger, info.TokenId, info.Role, info.DeviceId);
        WriteAudit("revoke", null, info.DeviceId ?? info.TokenId, AuditOutcome.Allowed, null, info.TokenId);
        EventHandler<TokenRevokedEventArgs>? handlers = TokenRevoked;
        if (handlers is null)
        {
            return;
        }

        var args = new TokenRevokedEventArgs(info.TokenId, info.Role, info.Subject, info.DeviceId, at);
        foreach (EventHandler<TokenRevokedEventArgs> handler in handlers.GetInvocationList().Cast<EventHandler<TokenRevokedEventArgs>>())
        {
            try
            {
                handler(this, args);
            }
            catch (Exception e)
            {
                Log.RevocationHandlerFailed(_logger, e, info.TokenId);
            }
        }
    }

    private void WriteAudit(string operation, string? from, string? to, AuditOutcome outcome, string? reason, string? detail) =>
        _audit?.TryWrite(AuditRecord.ForAuth(_time.GetUtcNow(), operation, from, to, outcome, reason, detail));

    private static void Validate(TokenIssueRequest request)
    {
        if (!Enum.IsDefined(request.Role))
        {
            throw new ArgumentException($"Unknown role {request.Role}.", nameof(request));
        }

        if (string.IsNullOrWhiteSpace(request.Subject) || request.Subject.Length > MaxSubjectLength)
        {
            throw new ArgumentException($"A subject is 1-{MaxSubjectLength} characters.", nameof(request));
        }

        if (request.Lifetime is { } lifetime && lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException("A token lifetime must be positive.", nameof(request));
        }

        if (request.Role == MeshRole.Device)
        {
            DeviceIdRules.ThrowIfInvalid(request.DeviceId, nameof(request));
        }
        else if (request.DeviceId is not null)
        {
            throw new ArgumentException("Only device tokens are bound to a device id.", nameof(request));
        }

        if (request.PermittedDevices is { Count: > 0 } && request.Role != MeshRole.Family)
        {
            throw new ArgumentException("Permitted devices apply to family tokens only.", nameof(request));
        }

        if (request.CommandGrants is { Count: > 0 } && request.Role != MeshRole.Device)
        {
            throw new ArgumentException("Command grants apply to device tokens only.", nameof(request));
        }

        DeviceIdRules.ToSet(request.PermittedDevices, nameof(request));
        DeviceIdRules.ToSet(request.CommandGrants, nameof(request));
    }

    private static string[] Sorted(IReadOnlyCollection<string>? ids) =>
        ids is null ? [] : ids.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    private static string NewSecret()
    {
        Span<byte> random = stackalloc byte[SecretBytes];
        RandomNumberGenerator.Fill(random);
        string secret = SecretPrefix + Base64Url.EncodeToString(random);
        CryptographicOperations.ZeroMemory(random);
        return secret;
    }

    /// <summary>SHA-256 over the secret's ASCII bytes (the whole string, prefix included).</summary>
    internal static void HashSecret(ReadOnlySpan<char> secret, Span<byte> hash)
    {
        Span<byte> bytes = stackalloc byte[64];
        int length = Encoding.ASCII.GetBytes(secret, bytes);
        SHA256.HashData(bytes[..length], hash);
        CryptographicOperations.ZeroMemory(bytes);
    }

    /// <summary>The cache key: the first 128 bits of the hash. The full hash is then compared in constant time.</summary>
    private static UInt128 KeyOf(ReadOnlySpan<byte> hash) => BinaryPrimitives.ReadUInt128LittleEndian(hash);

    private sealed class CachedToken
    {
        public CachedToken(TokenRecord record)
        {
            Hash = record.Hash;
            Info = record.Info;
            Identity = new MeshIdentity(
                Info.TokenId, Info.Role, Info.Subject, Info.DeviceId, Info.PermittedDevices, Info.CommandGrants, Info.ExpiresAt);
            if (Info.RevokedAt is not null)
            {
                Identity.MarkRevoked();
            }
        }

        public byte[] Hash { get; }

        public TokenInfo Info { get; }

        /// <summary>One shared identity per token, so revocation reaches every connection holding it.</summary>
        public MeshIdentity Identity { get; }

        private int _revoked;

        /// <summary>Marks it revoked; true only for the first caller.</summary>
        public bool MarkRevoked()
        {
            Identity.MarkRevoked();
            return Interlocked.Exchange(ref _revoked, 1) == 0 && Info.RevokedAt is null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Issued token {TokenId}: {Role} '{Subject}' device {DeviceId}")]
        public static partial void Issued(ILogger logger, string tokenId, MeshRole role, string subject, string? deviceId);

        [LoggerMessage(2, LogLevel.Warning, "Authentication failed ({Reason}) from {Source}, token {TokenId}")]
        public static partial void AuthenticationFailed(ILogger logger, string reason, string? source, string? tokenId);

        [LoggerMessage(3, LogLevel.Information, "Revoked token {TokenId}: {Role} device {DeviceId}")]
        public static partial void Revoked(ILogger logger, string tokenId, MeshRole role, string? deviceId);

        [LoggerMessage(4, LogLevel.Error, "A TokenRevoked handler failed for token {TokenId}")]
        public static partial void RevocationHandlerFailed(ILogger logger, Exception exception, string tokenId);
    }
}
