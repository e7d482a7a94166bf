namespace Meowstik.Hub.Core;

/// <summary>What an <see cref="ITokenStore"/> persists for one token: the listing data plus the SHA-256 hash of the secret.</summary>
public sealed class TokenRecord
{
    /// <summary>Length of <see cref="Hash"/> in bytes (SHA-256).</summary>
    public const int HashLength = 32;

    /// <summary>Creates a record.</summary>
    /// <param name="hash">SHA-256 of the secret token, exactly <see cref="HashLength"/> bytes.</param>
    /// <param name="info">The token's listing data.</param>
    public TokenRecord(byte[] hash, TokenInfo info)
    {
        ArgumentNullException.ThrowIfNull(hash);
        ArgumentNullException.ThrowIfNull(info);
        if (hash.Length != HashLength)
        {
            throw new ArgumentException($"A token hash is {HashLength} bytes.", nameof(hash));
        }

        Hash = hash;
        Info = info;
    }

    /// <summary>SHA-256 of the secret token. Never the secret itself.</summary>
    public byte[] Hash { get; }

    /// <summary>The token's listing data.</summary>
    public TokenInfo Info { get; }
}
