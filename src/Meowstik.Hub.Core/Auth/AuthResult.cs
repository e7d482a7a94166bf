using System.Diagnostics.CodeAnalysis;

namespace Meowstik.Hub.Core;

/// <summary>The outcome of authenticating a presented token: an identity, or a typed failure.</summary>
public readonly record struct AuthResult
{
    private AuthResult(MeshIdentity? identity, AuthFailure failure)
    {
        Identity = identity;
        Failure = failure;
    }

    /// <summary>The authenticated identity when <see cref="Succeeded"/>.</summary>
    public MeshIdentity? Identity { get; }

    /// <summary>Why it failed, or <see cref="AuthFailure.None"/>.</summary>
    public AuthFailure Failure { get; }

    /// <summary>True when the token is valid; <see cref="Identity"/> is then non-null.</summary>
    [MemberNotNullWhen(true, nameof(Identity))]
    public bool Succeeded => Identity is not null;

    /// <summary>A success.</summary>
    public static AuthResult Success(MeshIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return new AuthResult(identity, AuthFailure.None);
    }

    /// <summary>A failure with <paramref name="failure"/>.</summary>
    public static AuthResult Fail(AuthFailure failure)
    {
        if (failure == AuthFailure.None)
        {
            throw new ArgumentOutOfRangeException(nameof(failure), "A failure needs a reason.");
        }

        return new AuthResult(null, failure);
    }
}
