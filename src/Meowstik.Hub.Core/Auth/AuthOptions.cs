namespace Meowstik.Hub.Auth;

/// <summary>Settings for <see cref="AuthManager"/> and <see cref="CatchPhraseRegistry"/>. Every default is listed below.</summary>
public sealed class AuthOptions
{
    /// <summary>Lifetime of an issued token when the request names none. Default: 365 days.</summary>
    public TimeSpan DefaultTokenLifetime { get; set; } = TimeSpan.FromDays(365);

    /// <summary>Lifetime of a family token obtained with a catch phrase. Default: 1 hour.</summary>
    public TimeSpan FamilyTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// PBKDF2-HMAC-SHA256 iterations for newly registered catch phrases. Default: 100 000. Each phrase stores its own
    /// count, so raising this later only affects phrases registered (or re-registered) afterwards. Tests may set it low.
    /// </summary>
    public int CatchPhraseIterations { get; set; } = 100_000;

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
    /// Most sources whose failures are tracked at once; beyond it, closed windows are pruned and, if still full,
    /// untracked sources share one overflow bucket (so a flood of addresses cannot grow memory). Default: 10 000.
    /// </summary>
    public int MaxTrackedSources { get; set; } = 10_000;

    internal void Validate()
    {
        Positive(DefaultTokenLifetime, nameof(DefaultTokenLifetime));
        Positive(FamilyTokenLifetime, nameof(FamilyTokenLifetime));
        Positive(CatchPhraseFailureWindow, nameof(CatchPhraseFailureWindow));
        ArgumentOutOfRangeException.ThrowIfLessThan(CatchPhraseIterations, 1, nameof(CatchPhraseIterations));
        ArgumentOutOfRangeException.ThrowIfLessThan(CatchPhraseMinLength, 1, nameof(CatchPhraseMinLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(CatchPhraseMaxLength, CatchPhraseMinLength, nameof(CatchPhraseMaxLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(CatchPhraseMaxFailures, 1, nameof(CatchPhraseMaxFailures));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTrackedSources, 1, nameof(MaxTrackedSources));
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
        }
    }
}
