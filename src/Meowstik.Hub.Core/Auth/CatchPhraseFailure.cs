namespace Meowstik.Hub.Core;

/// <summary>Why a catch-phrase exchange failed.</summary>
public enum CatchPhraseFailure
{
    /// <summary>It succeeded.</summary>
    None = 0,

    /// <summary>Empty, too short or too long; counted as a failed attempt.</summary>
    Malformed = 1,

    /// <summary>No registered member has this phrase; counted as a failed attempt.</summary>
    NoMatch = 2,

    /// <summary>The source has used up its failed attempts; retry after <see cref="CatchPhraseExchangeResult.RetryAfter"/>.</summary>
    RateLimited = 3,
}
