namespace Meowstik.Protocol;

/// <summary>Device id rules: 1–64 characters of <c>[A-Za-z0-9._-]</c>. <c>hub</c> and <c>broadcast</c> are reserved targets.</summary>
public static class DeviceId
{
    /// <summary>Longest device id, in characters.</summary>
    public const int MaxLength = 64;

    /// <summary>The reserved target addressing the hub itself.</summary>
    public const string Hub = "hub";

    /// <summary>The reserved target addressing every device allowed to see the message.</summary>
    public const string Broadcast = "broadcast";

    /// <summary>UTF-8 form of <see cref="Hub"/>.</summary>
    public static ReadOnlySpan<byte> HubUtf8 => "hub"u8;

    /// <summary>UTF-8 form of <see cref="Broadcast"/>.</summary>
    public static ReadOnlySpan<byte> BroadcastUtf8 => "broadcast"u8;

    /// <summary>True when <paramref name="utf8"/> is a syntactically valid device id.</summary>
    public static bool IsValid(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length is 0 or > MaxLength) return false;
        foreach (byte b in utf8)
        {
            if (!IsAllowed(b)) return false;
        }
        return true;
    }

    /// <summary>True when <paramref name="id"/> is a syntactically valid device id.</summary>
    public static bool IsValid(ReadOnlySpan<char> id)
    {
        if (id.Length is 0 or > MaxLength) return false;
        foreach (char c in id)
        {
            if (c > 127 || !IsAllowed((byte)c)) return false;
        }
        return true;
    }

    /// <summary>True when <paramref name="id"/> names one of the reserved targets (<c>hub</c>, <c>broadcast</c>).</summary>
    public static bool IsReserved(ReadOnlySpan<char> id) => id.SequenceEqual(Hub) || id.SequenceEqual(Broadcast);

    private static bool IsAllowed(byte b) => b < 128 && AllowedAscii[b] != 0;

    // 1 for [A-Za-z0-9._-], indexed by ASCII code.
    private static ReadOnlySpan<byte> AllowedAscii =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
        0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
        0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    ];
}
