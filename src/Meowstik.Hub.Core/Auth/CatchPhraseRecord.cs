namespace Meowstik.Hub.Core;

/// <summary>A family member's catch phrase as persisted: only a PBKDF2-HMAC-SHA256 hash with its salt and iteration count.</summary>
public sealed class CatchPhraseRecord
{
    /// <summary>Creates a record.</summary>
    public CatchPhraseRecord(
        string member, byte[] salt, byte[] hash, int iterations, IReadOnlyList<string> permittedDevices, DateTimeOffset createdAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(member);
        ArgumentNullException.ThrowIfNull(salt);
        ArgumentNullException.ThrowIfNull(hash);
        ArgumentNullException.ThrowIfNull(permittedDevices);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        Member = member;
        Salt = salt;
        Hash = hash;
        Iterations = iterations;
        PermittedDevices = permittedDevices;
        CreatedAt = createdAt;
    }

    /// <summary>The family member's name; becomes the family token's subject.</summary>
    public string Member { get; }

    /// <summary>Random per-phrase salt.</summary>
    public byte[] Salt { get; }

    /// <summary>PBKDF2-HMAC-SHA256(phrase, salt, iterations).</summary>
    public byte[] Hash { get; }

    /// <summary>The iteration count the hash was made with.</summary>
    public int Iterations { get; }

    /// <summary>Devices the member's family tokens may query and observe.</summary>
    public IReadOnlyList<string> PermittedDevices { get; }

    /// <summary>When the phrase was registered.</summary>
    public DateTimeOffset CreatedAt { get; }
}
