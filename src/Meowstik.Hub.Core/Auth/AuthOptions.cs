namespace Meowstik.Hub.Core;

/// <summary>Settings for <see cref="AuthManager"/> and <see cref="CatchPhraseRegistry"/>. Every default is listed below.</summary>
public sealed class AuthOptions
{
    /// <summary>Lifetime of an issued token when the request names none. Default: 365 days.</summary>
    public TimeSpan DefaultTokenLifetime { get; set; } = TimeSpan.FromDays(365);

    /// <summary>Lifetime of a family token obtained with a catch phrase. Default: 1 hour.</summary>
    public TimeSpan FamilyTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// PBKDF2-HMAC-SHA256 iterations for newly registered catch phrases. Default: 600 000 (OWASP's figure for
    /// PBKDF2-SHA256). Each phrase stores its own count and is verified with it, so phrases hashed with an older, lower
    /// count keep working; the first successful exchange re-hashes such a phrase with this count. Tests may set it low.
    /// </summary>
    public int CatchPhraseIterations { get; set; } = 600_000;

    /// <summary>Shortest accepted catch phrase, in characters. Default: 8.</summary>
    public int CatchPhraseMinLength { get; set; } = 8;

    /// <summary>Longest accepted catch phrase, in characters (bounds the hashing cost of bad input). Default: 256.</summary>
    public int CatchPhraseMaxLength { get; set; } = 256;

    /// <summary>Failed catch-phrase attempts allowed per source within <see cref="CatchPhraseFailureWindow"/>. Default: 5.</summary>
    public int CatchPhraseMaxFailures { get; set; } = 5;

    /// <summary>
    /// The fixed window for counting failures per source. The window opens at the first failure; once
    /// <see cref="CatchPhraseMaxFailures"/> is reached the source is refused (without hashing) until it closes. Default: 15 minutes.
    /// </summary>
    public TimeSpan CatchPhraseFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Catch-phrase attempts allowed from all sources together within one <see cref="CatchPhraseFailureWindow"/>
    /// (every attempt counts until it succeeds). Once used up, every source is refused until the window closes: rotating
    /// addresses buys an attacker no more guesses than this, at the price of locking out new exchanges (issued tokens
    /// keep working). Default: 100.
    /// </summary>
    public int CatchPhraseGlobalMaxFailures { get; set; } = 100;

    /// <summary>
    /// Most sources whose failures are tracked at once. When full, closed windows are dropped and then the source whose
    /// window opened first is evicted, so a flood of addresses cannot grow memory (the global budget still counts the
    /// evicted source's attempts). Default: 10 000.
    /// </summary>
    public int MaxTrackedSources { get; set; } = 10_000;

    /// <summary>
    /// How long an expired token stays in the store before <see cref="AuthManager.PurgeExpiredIfDueAsync"/> deletes it
    /// (so an expired token is reported as expired, not unknown, for a while). Default: 1 day.
    /// </summary>
    public TimeSpan ExpiredTokenRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Least time between two purges of expired tokens by <see cref="AuthManager.PurgeExpiredIfDueAsync"/> (run by
    /// <see cref="AuthManager.RefreshAsync"/> and after every catch-phrase exchange). Default: 1 hour.
    /// </summary>
    public TimeSpan ExpiredTokenPurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming every setting out of range.</summary>
    public void Validate()
    {
        var errors = new OptionErrors();
        AddValidationErrors(errors);
        errors.ThrowIfAny();
    }

    internal void AddValidationErrors(OptionErrors e)
    {
        e.Positive(DefaultTokenLifetime, nameof(DefaultTokenLifetime));
        e.Positive(FamilyTokenLifetime, nameof(FamilyTokenLifetime));
        e.AtLeast(CatchPhraseIterations, 1, nameof(CatchPhraseIterations));
        e.AtLeast(CatchPhraseMinLength, 1, nameof(CatchPhraseMinLength));
        e.AtLeast(CatchPhraseMaxLength, CatchPhraseMinLength, nameof(CatchPhraseMaxLength), nameof(CatchPhraseMinLength));
        e.AtLeast(CatchPhraseMaxFailures, 1, nameof(CatchPhraseMaxFailures));
        e.Positive(CatchPhraseFailureWindow, nameof(CatchPhraseFailureWindow));
        e.AtLeast(CatchPhraseGlobalMaxFailures, CatchPhraseMaxFailures, nameof(CatchPhraseGlobalMaxFailures), nameof(CatchPhraseMaxFailures));
        e.AtLeast(MaxTrackedSources, 1, nameof(MaxTrackedSources));
        e.NotNegative(ExpiredTokenRetention, nameof(ExpiredTokenRetention));
        e.Positive(ExpiredTokenPurgeInterval, nameof(ExpiredTokenPurgeInterval));
    }
}
