using System.Collections.Frozen;

namespace Meowstik.Hub.Core;

/// <summary>Validation shared by tokens and catch phrases, so that stored lists can be joined with a control character.</summary>
internal static class DeviceIdRules
{
    /// <summary>Longest accepted device id, in UTF-16 chars.</summary>
    public const int MaxLength = 128;

    /// <summary>Separator used when a list of ids is stored in one column; ids may not contain control characters.</summary>
    public const char ListSeparator = '\n';

    public static bool IsValid(ReadOnlySpan<char> id)
    {
        if (id.IsEmpty || id.Length > MaxLength)
        {
            return false;
        }

        foreach (char c in id)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                return false;
            }
        }

        return true;
    }

    public static void ThrowIfInvalid(string? id, string paramName)
    {
        if (id is null || !IsValid(id))
        {
            throw new ArgumentException(
                $"A device id must be 1-{MaxLength} characters with no whitespace or control characters.", paramName);
        }
    }

    public static FrozenSet<string> ToSet(IEnumerable<string>? ids, string paramName)
    {
        if (ids is null)
        {
            return FrozenSet<string>.Empty;
        }

        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (string id in ids)
        {
            ThrowIfInvalid(id, paramName);
            set.Add(id);
        }

        return set.ToFrozenSet(StringComparer.Ordinal);
    }

    public static string Join(IEnumerable<string> ids) => string.Join(ListSeparator, ids.Order(StringComparer.Ordinal));

    public static string[] Split(string? joined) =>
        string.IsNullOrEmpty(joined) ? [] : joined.Split(ListSeparator, StringSplitOptions.RemoveEmptyEntries);
}
