using System.Diagnostics.CodeAnalysis;

namespace Meowstik.Hub.Core;

/// <summary>The outcome of <see cref="CatchPhraseRegistry.ExchangeAsync"/>: a short-lived family token, or a typed failure.</summary>
public sealed class CatchPhraseExchangeResult
{
    private CatchPhraseExchangeResult(IssuedToken? token, CatchPhraseFailure failure, TimeSpan retryAfter)
    {
        Token = token;
        Failure = failure;
        RetryAfter = retryAfter;
    }

    /// <summary>The issued family token (shown once) when <see cref="Succeeded"/>.</summary>
    public IssuedToken? Token { get; }

    /// <summary>Why it failed, or <see cref="CatchPhraseFailure.None"/>.</summary>
    public CatchPhraseFailure Failure { get; }

    /// <summary>For <see cref="CatchPhraseFailure.RateLimited"/>: how long until the source may try again; otherwise zero.</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>True when a token was issued.</summary>
    [MemberNotNullWhen(true, nameof(Token))]
    public bool Succeeded => Token is not null;

    internal static CatchPhraseExchangeResult Success(IssuedToken token) => new(token, CatchPhraseFailure.None, TimeSpan.Zero);

    internal static CatchPhraseExchangeResult Fail(CatchPhraseFailure failure, TimeSpan retryAfter = default) =>
        new(null, failure, retryAfter);
}
