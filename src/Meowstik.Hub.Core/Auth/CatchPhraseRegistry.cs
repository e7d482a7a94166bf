using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Hub.Core;

/// <summary>
/// Family access by catch phrase. The host registers one phrase per family member; only a PBKDF2-HMAC-SHA256 hash
/// (random 16-byte salt per phrase, <see cref="AuthOptions.CatchPhraseIterations"/> iterations) is stored. Presenting the
/// phrase exchanges it for a short-lived family token (<see cref="AuthOptions.FamilyTokenLifetime"/>) limited to that
/// member's permitted devices. Attempts are rate-limited per source and globally (fixed windows, see
/// <see cref="AuthOptions.CatchPhraseMaxFailures"/> and <see cref="AuthOptions.CatchPhraseGlobalMaxFailures"/>); each
/// attempt is reserved before hashing and given back only when it succeeds. Failures are counted and audited.
/// </summary>
/// <remarks>
/// Phrases are compared after trimming surrounding whitespace and are case-sensitive. An exchange hashes the presented
/// phrase once per registered member (every member, so the time taken does not reveal which one matched), which is why
/// every attempt is reserved against the rate limits before any hashing.
/// </remarks>
public sealed partial class CatchPhraseRegistry
{
    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private const int MaxMemberLength = 128;

    private readonly ICatchPhraseStore _store;
    private readonly AuthManager _auth;
    private readonly ILogger _logger;
    private readonly FailureRateLimiter _limiter;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private volatile IReadOnlyList<CatchPhraseRecord>? _records;

    /// <summary>Creates the registry; settings, clock, audit sink and meter come from <paramref name="auth"/>.</summary>
    public CatchPhraseRegistry(ICatchPhraseStore store, AuthManager auth, ILogger<CatchPhraseRegistry>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(auth);
        _store = store;
        _auth = auth;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        AuthOptions o = auth.Options;
        _limiter = new FailureRateLimiter(o.CatchPhraseMaxFailures, o.CatchPhraseFailureWindow, o.MaxTrackedSources, o.CatchPhraseGlobalMaxFailures);
    }

    /// <summary>
    /// Registers (or replaces) <paramref name="member"/>'s catch phrase and the devices their family tokens may query.
    /// </summary>
    /// <exception cref="ArgumentException">Bad member name, phrase length or device id.</exception>
    /// <exception cref="InvalidOperationException">Another member already uses this phrase.</exception>
    public async Task RegisterAsync(
        string member, string phrase, IEnumerable<string> permittedDevices, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(member) || member.Length > MaxMemberLength || member.Any(char.IsControl))
        {
            throw new ArgumentException($"A member name is 1-{MaxMemberLength} printable characters.", nameof(member));
        }

        ArgumentNullException.ThrowIfNull(phrase);
        string normalized = phrase.Trim();
        AuthOptions o = _auth.Options;
        if (normalized.Length < o.CatchPhraseMinLength || normalized.Length > o.CatchPhraseMaxLength)
        {
            throw new ArgumentException(
                $"A catch phrase is {o.CatchPhraseMinLength}-{o.CatchPhraseMaxLength} characters.", nameof(phrase));
        }

        string[] devices = DeviceIdRules.ToSet(permittedDevices, nameof(permittedDevices)).Order(StringComparer.Ordinal).ToArray();
        byte[] secret = Encoding.UTF8.GetBytes(normalized);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            IReadOnlyList<CatchPhraseRecord> records = await LoadAsync(cancellationToken).ConfigureAwait(false);
            foreach (CatchPhraseRecord other in records)
            {
                if (other.Member != member && Matches(secret, other))
                {
                    throw new InvalidOperationException("Another family member already uses this catch phrase.");
                }
            }

            byte[] salt = RandomNumberGenerator.GetBytes(SaltBytes);
            byte[] hash = Rfc2898DeriveBytes.Pbkdf2(secret, salt, o.CatchPhraseIterations, HashAlgorithmName.SHA256, HashBytes);
            var record = new CatchPhraseRecord(member, salt, hash, o.CatchPhraseIterations, devices, _auth.TimeProvider.GetUtcNow());
            await _store.UpsertAsync(record, cancellationToken).ConfigureAwait(false);
            _records = records.Where(r => r.Member != member).Append(record).ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
            _lock.Release();
        }

        Log.Registered(_logger, member, devices.Length);
        WriteAudit("catch_phrase_register", null, member, AuditOutcome.Allowed, null);
    }

    /// <summary>
    /// Removes <paramref name="member"/>'s phrase and revokes their live family tokens (closing their connections).
    /// Returns false when the member had no phrase.
    /// </summary>
    public async Task<bool> RemoveAsync(string member, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(member);
        bool removed;
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            IReadOnlyList<CatchPhraseRecord> records = await LoadAsync(cancellationToken).ConfigureAwait(false);
            removed = await _store.RemoveAsync(member, cancellationToken).ConfigureAwait(false);
            _records = records.Where(r => r.Member != member).ToArray();
        }
        finally
        {
            _lock.Release();
        }

        await _auth.RevokeFamilyMemberAsync(member, cancellationToken).ConfigureAwait(false);
        if (removed)
        {
            WriteAudit("catch_phrase_remove", null, member, AuditOutcome.Allowed, null);
        }

        return removed;
    }

    /// <summary>The members that have a catch phrase, with the devices each may query.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> ListMembersAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<CatchPhraseRecord> records = _records ?? await LoadLockedAsync(cancellationToken).ConfigureAwait(false);
        return records.ToDictionary(r => r.Member, r => r.PermittedDevices, StringComparer.Ordinal);
    }

    /// <summary>
    /// Exchanges a presented catch phrase for a family token valid <see cref="AuthOptions.FamilyTokenLifetime"/>,
    /// limited to the matching member's permitted devices.
    /// </summary>
    /// <param name="phrase">The phrase as presented.</param>
    /// <param name="source">Who is asking (for example the remote address); failures are rate-limited per source.</param>
    /// <param name="cancellationToken">Cancels loading and token issue.</param>
    public async Task<CatchPhraseExchangeResult> ExchangeAsync(
        string? phrase, string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        DateTimeOffset now = _auth.TimeProvider.GetUtcNow();

        // Check and count in one step, before any hashing: concurrent guesses cannot all pass a check that is only
        // counted after the (slow) hash, which let 40 parallel guesses get 11-15 answers against a limit of 5.
        if (!_limiter.TryReserve(source, now, out TimeSpan retryAfter))
        {
            return Fail(CatchPhraseFailure.RateLimited, source, retryAfter);
        }

        string normalized = phrase?.Trim() ?? string.Empty;
        AuthOptions o = _auth.Options;
        if (normalized.Length < o.CatchPhraseMinLength || normalized.Length > o.CatchPhraseMaxLength)
        {
            return Fail(CatchPhraseFailure.Malformed, source, TimeSpan.Zero);
        }

        byte[] secret = Encoding.UTF8.GetBytes(normalized);
        CatchPhraseRecord? match = null;
        try
        {
            IReadOnlyList<CatchPhraseRecord> records = _records ?? await LoadLockedAsync(cancellationToken).ConfigureAwait(false);
            foreach (CatchPhraseRecord record in records)
            {
                if (Matches(secret, record))
                {
                    match = record;
                }
            }

            if (match is not null && match.Iterations < o.CatchPhraseIterations)
            {
                await UpgradeAsync(match, secret, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            // The store failed or the caller gave up: not a wrong guess, so the attempt is given back.
            _limiter.Release(source, now);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }

        if (match is null)
        {
            return Fail(CatchPhraseFailure.NoMatch, source, TimeSpan.Zero);
        }

        _limiter.Release(source, now);
        IssuedToken token = await _auth.IssueTokenAsync(
            new TokenIssueRequest
            {
                Role = MeshRole.Family,
                Subject = match.Member,
                PermittedDevices = match.PermittedDevices.ToArray(),
                Lifetime = o.FamilyTokenLifetime,
            },
            cancellationToken).ConfigureAwait(false);
        Log.Exchanged(_logger, match.Member, source, token.TokenId);
        WriteAudit("catch_phrase", source, match.Member, AuditOutcome.Allowed, null, token.TokenId);
        await PurgeQuietlyAsync(cancellationToken).ConfigureAwait(false);
        return CatchPhraseExchangeResult.Success(token);
    }

    // Every exchange adds a token row; purging here (at most once per ExpiredTokenPurgeInterval) keeps the table bounded
    // even when the host never calls AuthManager.RefreshAsync.
    private async Task PurgeQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _auth.PurgeExpiredIfDueAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.PurgeFailed(_logger, ex);
        }
    }

    // Re-hashes a phrase stored with fewer iterations than configured, now that the phrase is known to be right.
    private async Task UpgradeAsync(CatchPhraseRecord old, byte[] secret, CancellationToken cancellationToken)
    {
        int iterations = _auth.Options.CatchPhraseIterations;
        byte[] salt = RandomNumberGenerator.GetBytes(SaltBytes);
        byte[] hash = Rfc2898DeriveBytes.Pbkdf2(secret, salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            IReadOnlyList<CatchPhraseRecord> records = await LoadAsync(cancellationToken).ConfigureAwait(false);
            if (!records.Contains(old))
            {
                return; // re-registered or removed meanwhile: the newer record wins
            }

            var record = new CatchPhraseRecord(old.Member, salt, hash, iterations, old.PermittedDevices, old.CreatedAt);
            await _store.UpsertAsync(record, cancellationToken).ConfigureAwait(false);
            _records = records.Select(r => ReferenceEquals(r, old) ? record : r).ToArray();
            Log.Upgraded(_logger, old.Member, old.Iterations, iterations);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.UpgradeFailed(_logger, ex, old.Member);
        }
        finally
        {
            _lock.Release();
        }
    }

    private static bool Matches(byte[] secret, CatchPhraseRecord record)
    {
        byte[] candidate = Rfc2898DeriveBytes.Pbkdf2(secret, record.Salt, record.Iterations, HashAlgorithmName.SHA256, record.Hash.Length);
        return CryptographicOperations.FixedTimeEquals(candidate, record.Hash);
    }

    private CatchPhraseExchangeResult Fail(CatchPhraseFailure failure, string source, TimeSpan retryAfter)
    {
        string reason = failure.ToCode();
        _auth.CatchPhraseFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));
        Log.ExchangeFailed(_logger, reason, source);
        WriteAudit("catch_phrase", source, null, AuditOutcome.Denied, reason);
        return CatchPhraseExchangeResult.Fail(failure, retryAfter);
    }

    private void WriteAudit(string operation, string? from, string? to, AuditOutcome outcome, string? reason, string? detail = null) =>
        _auth.Audit?.TryWrite(AuditRecord.ForAuth(_auth.TimeProvider.GetUtcNow(), operation, from, to, outcome, reason, detail));

    private async Task<IReadOnlyList<CatchPhraseRecord>> LoadLockedAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await LoadAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Caller holds <see cref="_lock"/>.</summary>
    private async Task<IReadOnlyList<CatchPhraseRecord>> LoadAsync(CancellationToken cancellationToken) =>
        _records ??= await _store.ListAsync(cancellationToken).ConfigureAwait(false);

    private static partial class Log
    {
        [LoggerMessage(101, LogLevel.Information, "Registered a catch phrase for {Member} ({DeviceCount} permitted devices)")]
        public static partial void Registered(ILogger logger, string member, int deviceCount);

        [LoggerMessage(102, LogLevel.Information, "Catch phrase exchanged by {Source} for {Member}: token {TokenId}")]
        public static partial void Exchanged(ILogger logger, string member, string source, string tokenId);

        [LoggerMessage(103, LogLevel.Warning, "Catch phrase exchange failed ({Reason}) from {Source}")]
        public static partial void ExchangeFailed(ILogger logger, string reason, string source);

        [LoggerMessage(104, LogLevel.Information, "Re-hashed the catch phrase of {Member} from {Old} to {New} PBKDF2 iterations")]
        public static partial void Upgraded(ILogger logger, string member, int old, int @new);

        [LoggerMessage(105, LogLevel.Warning, "Re-hashing the catch phrase of {Member} failed; it keeps its old hash")]
        public static partial void UpgradeFailed(ILogger logger, Exception exception, string member);

        [LoggerMessage(106, LogLevel.Warning, "Purging expired tokens failed; retrying at the next exchange or refresh")]
        public static partial void PurgeFailed(ILogger logger, Exception exception);
    }
}
