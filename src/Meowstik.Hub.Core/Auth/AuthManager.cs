using System.Diagnostics.Metrics;
using System.Security.Cryptography;
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
/// <remarks>
/// A facade over three internal parts: the authorization rules (<c>AuthPolicy</c>), what a secret is and how it is hashed and
/// compared (<c>TokenSecrets</c>), and the in-memory view of the store with revocation and purging (<c>TokenCache</c>). This
/// type adds validation of issue requests, metrics, logs, audit records and the <see cref="TokenRevoked"/> event.
/// </remarks>
/// <example>
/// <code>
/// using var auth = new AuthManager(new InMemoryTokenStore()); // or Meowstik.Hub.Sqlite's SqliteTokenStore
/// await auth.LoadAsync();
/// IssuedToken issued = await auth.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = "Desktop", DeviceId = "desktop-001" });
/// AuthResult result = await auth.AuthenticateAsync(issued.Secret, source: "127.0.0.1");
/// AuthDecision decision = auth.Authorize(result.Identity!, MeshAction.Event, "");
/// </code>
/// </example>
public sealed partial class AuthManager : IDisposable
{
    /// <summary>Every secret token starts with this prefix (it makes leaked tokens easy to find by scanners).</summary>
    public const string SecretPrefix = TokenSecrets.SecretPrefix;

    /// <summary>Every token id starts with this prefix.</summary>
    public const string TokenIdPrefix = TokenSecrets.TokenIdPrefix;

    /// <summary>Random bytes in a secret: 32 = 256 bits.</summary>
    public const int SecretBytes = TokenSecrets.SecretBytes;

    /// <summary>Length of a secret token in characters: the prefix plus 43 base64url characters.</summary>
    public static readonly int SecretLength = TokenSecrets.SecretLength;

    private const int MaxSubjectLength = 200;

    private readonly TokenCache _tokens;
    private readonly IAuditSink? _audit;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _successes;

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
        _audit = audit;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _tokens = new TokenCache(store, Options, _time, OnRevoked);
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _failures = _meter.CreateCounter<long>("auth.failures", description: "Rejected token authentications, tagged by reason.");
        _successes = _meter.CreateCounter<long>("auth.successes", description: "Successful token authentications.");
        CatchPhraseFailures = _meter.CreateCounter<long>(
            "auth.catch_phrase.failures", description: "Rejected catch-phrase exchanges, tagged by reason.");
    }

    /// <summary>The name of the meter carrying <c>auth.failures</c>, <c>auth.successes</c> and <c>auth.catch_phrase.failures</c>.</summary>
    public const string MeterName = "Meowstik.Hub.Auth";

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
    public Task LoadAsync(CancellationToken cancellationToken = default) => _tokens.LoadAsync(cancellationToken);

    /// <summary>Issues a new token and stores its hash. The returned <see cref="IssuedToken.Secret"/> is shown once.</summary>
    /// <exception cref="ArgumentException">The request is inconsistent (for example a device token without a device id).</exception>
    public async Task<IssuedToken> IssueTokenAsync(TokenIssueRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        await _tokens.EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        Validate(request);
        TimeSpan lifetime = request.Lifetime ?? Options.DefaultTokenLifetime;
        DateTimeOffset now = _time.GetUtcNow();

        string secret = TokenSecrets.NewSecret();
        byte[] hash = new byte[TokenRecord.HashLength];
        TokenSecrets.Hash(secret, hash);
        var info = new TokenInfo
        {
            TokenId = TokenSecrets.NewTokenId(),
            Role = request.Role,
            Subject = request.Subject,
            DeviceId = request.DeviceId,
            PermittedDevices = Sorted(request.PermittedDevices),
            CommandGrants = Sorted(request.CommandGrants),
            IssuedAt = now,
            ExpiresAt = now + lifetime,
        };
        CachedToken entry = await _tokens.AddAsync(new TokenRecord(hash, info), cancellationToken).ConfigureAwait(false);
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
        if (!_tokens.IsLoaded)
        {
            await _tokens.EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
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
    public Task<IReadOnlyList<TokenInfo>> ListTokensAsync(CancellationToken cancellationToken = default) => _tokens.ListAsync(cancellationToken);

    /// <summary>
    /// Revokes one token, persistently, and raises <see cref="TokenRevoked"/>. Returns false when no such token exists
    /// or it was already revoked.
    /// </summary>
    public async Task<bool> RevokeTokenAsync(string tokenId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenId);
        return await _tokens.RevokeAsync(tokenId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Revokes every token bound to <paramref name="deviceId"/>, persistently, raising <see cref="TokenRevoked"/> for each.
    /// Returns the revoked token ids (empty when there were none).
    /// </summary>
    public async Task<IReadOnlyList<string>> RevokeDeviceAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        return await _tokens.RevokeDeviceAsync(deviceId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Revokes every live family token issued to <paramref name="member"/> (used when a catch phrase is removed).
    /// Returns the revoked token ids.
    /// </summary>
    public async Task<IReadOnlyList<string>> RevokeFamilyMemberAsync(string member, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(member);
        return await _tokens.RevokeFamilyMemberAsync(member, cancellationToken).ConfigureAwait(false);
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
    public Task<int> PurgeExpiredIfDueAsync(CancellationToken cancellationToken = default) => _tokens.PurgeExpiredIfDueAsync(cancellationToken);

    /// <summary>Deletes stored tokens that expired more than <paramref name="grace"/> ago and drops them from the cache.</summary>
    public Task<int> PurgeExpiredAsync(TimeSpan grace, CancellationToken cancellationToken = default) => _tokens.PurgeExpiredAsync(grace, cancellationToken);

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
        AuthPolicy.Evaluate(identity, action, target, _time.GetUtcNow());

    /// <inheritdoc cref="Authorize(MeshIdentity, MeshAction, ReadOnlySpan{char})"/>
    public AuthDecision Authorize(MeshIdentity identity, MeshAction action, string? target) =>
        AuthPolicy.Evaluate(identity, action, target.AsSpan(), _time.GetUtcNow());

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
    public static AuthDecision Evaluate(MeshIdentity identity, MeshAction action, ReadOnlySpan<char> target, DateTimeOffset now) =>
        AuthPolicy.Evaluate(identity, action, target, now);

    /// <summary>Checks only the shape of a secret (prefix, length, base64url alphabet); no lookup.</summary>
    public static bool IsWellFormedSecret(ReadOnlySpan<char> token) => TokenSecrets.IsWellFormed(token);

    /// <inheritdoc />
    public void Dispose()
    {
        _tokens.Dispose();
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private AuthResult Authenticate(ReadOnlySpan<char> token, out string? tokenId)
    {
        tokenId = null;
        if (token.IsEmpty)
        {
            return AuthResult.Fail(AuthFailure.Missing);
        }

        if (!TokenSecrets.IsWellFormed(token))
        {
            return AuthResult.Fail(AuthFailure.Malformed);
        }

        Span<byte> hash = stackalloc byte[TokenRecord.HashLength];
        TokenSecrets.Hash(token, hash);
        if (_tokens.Find(hash) is not { } entry)
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

    private void OnRevoked(TokenInfo info, DateTimeOffset at)
    {
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
