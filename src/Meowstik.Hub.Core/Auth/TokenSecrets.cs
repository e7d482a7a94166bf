using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Meowstik.Hub.Core;

/// <summary>
/// What a token secret is and how it is kept: random 256-bit secrets with a recognisable prefix, random token ids, the
/// SHA-256 hash that is stored instead of the secret, and the constant-time comparison of hashes.
/// </summary>
internal static class TokenSecrets
{
    /// <inheritdoc cref="AuthManager.SecretPrefix"/>
    public const string SecretPrefix = "mtk_";

    /// <inheritdoc cref="AuthManager.TokenIdPrefix"/>
    public const string TokenIdPrefix = "tok_";

    /// <inheritdoc cref="AuthManager.SecretBytes"/>
    public const int SecretBytes = 32;

    /// <inheritdoc cref="AuthManager.SecretLength"/>
    public static readonly int SecretLength = SecretPrefix.Length + Base64Url.GetEncodedLength(SecretBytes);

    private const int TokenIdBytes = 12;

    private static readonly SearchValues<char> Base64UrlAlphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    /// <summary>A fresh secret: the prefix and 32 CSPRNG bytes in base64url (the random bytes are wiped after use).</summary>
    public static string NewSecret()
    {
        Span<byte> random = stackalloc byte[SecretBytes];
        RandomNumberGenerator.Fill(random);
        string secret = SecretPrefix + Base64Url.EncodeToString(random);
        CryptographicOperations.ZeroMemory(random);
        return secret;
    }

    /// <summary>A fresh token id: the prefix and 96 random bits in base64url.</summary>
    public static string NewTokenId() => TokenIdPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(TokenIdBytes));

    /// <summary>Checks only the shape of a secret (prefix, length, base64url alphabet); no lookup.</summary>
    public static bool IsWellFormed(ReadOnlySpan<char> token) =>
        token.Length == SecretLength &&
        token.StartsWith(SecretPrefix, StringComparison.Ordinal) &&
        !token[SecretPrefix.Length..].ContainsAnyExcept(Base64UrlAlphabet);

    /// <summary>SHA-256 over the secret's ASCII bytes (the whole string, prefix included).</summary>
    public static void Hash(ReadOnlySpan<char> secret, Span<byte> hash)
    {
        Span<byte> bytes = stackalloc byte[64];
        int length = Encoding.ASCII.GetBytes(secret, bytes);
        SHA256.HashData(bytes[..length], hash);
        CryptographicOperations.ZeroMemory(bytes);
    }

    /// <summary>The cache key: the first 128 bits of the hash. The full hash is then compared with <see cref="Matches"/>.</summary>
    public static UInt128 KeyOf(ReadOnlySpan<byte> hash) => BinaryPrimitives.ReadUInt128LittleEndian(hash);

    /// <summary>Compares a stored hash with a computed one in constant time.</summary>
    public static bool Matches(ReadOnlySpan<byte> stored, ReadOnlySpan<byte> computed) => CryptographicOperations.FixedTimeEquals(stored, computed);
}
