namespace Meowstik.Hub.Core;

/// <summary>Why <see cref="AuthManager.AuthenticateAsync(string?, string?, CancellationToken)"/> rejected a token.</summary>
public enum AuthFailure
{
    /// <summary>Authenticated.</summary>
    None = 0,

    /// <summary>No token was presented.</summary>
    Missing = 1,

    /// <summary>The text is not shaped like a Meowstik token (wrong prefix, length or alphabet).</summary>
    Malformed = 2,

    /// <summary>Well-formed, but no such token was ever issued here.</summary>
    Unknown = 3,

    /// <summary>The token's lifetime is over.</summary>
    Expired = 4,

    /// <summary>The token was revoked.</summary>
    Revoked = 5,
}
