namespace Meowstik.Protocol;

/// <summary>
/// The action naming rule (docs/protocol.md, "Action names"): an action is a plain name (<c>status</c>, <c>set_rate</c>) or
/// <c>&lt;capability&gt;.&lt;verb&gt;</c> (<c>can.subscribe</c>, <c>gps.position</c>). Each segment is lower-case snake_case:
/// <c>[a-z][a-z0-9]*(_[a-z0-9]+)*</c>; at most one dot; at most <see cref="MaxLength"/> bytes in all.
/// </summary>
/// <remarks>
/// The rule is a convention the .NET agent enforces on its own capabilities when it starts; it is not a codec rule, so a
/// <c>command</c> naming any string still decodes (and a device answers <c>unknown_action</c>).
/// </remarks>
public static class ActionName
{
    /// <summary>The longest action name, in bytes (ASCII characters): the protocol's action limit.</summary>
    public const int MaxLength = 64;

    /// <summary>True when <paramref name="name"/> follows the naming rule (plain or dotted).</summary>
    /// <param name="name">The action name.</param>
    /// <returns>Whether it is a valid action name.</returns>
    public static bool IsValid(ReadOnlySpan<char> name) => Validate(name) is null;

    /// <summary>True when the UTF-8 <paramref name="utf8"/> follows the naming rule (plain or dotted).</summary>
    /// <param name="utf8">The action name as UTF-8.</param>
    /// <returns>Whether it is a valid action name.</returns>
    public static bool IsValid(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length is 0 or > MaxLength) return false;
        Span<char> chars = stackalloc char[MaxLength];
        for (int i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] > 127) return false;
            chars[i] = (char)utf8[i];
        }
        return IsValid(chars[..utf8.Length]);
    }

    /// <summary>True when <paramref name="name"/> is a valid segment: a capability name usable as an action prefix, or a verb.</summary>
    /// <param name="name">The segment.</param>
    /// <returns>Whether it is lower-case snake_case of at most <see cref="MaxLength"/> characters.</returns>
    public static bool IsValidSegment(ReadOnlySpan<char> name) => name.Length <= MaxLength && SegmentError(name) is null;

    /// <summary>
    /// Splits a dotted action into its capability prefix; false for a plain action (no dot). The name is not validated.
    /// </summary>
    /// <param name="name">The action name, e.g. <c>can.subscribe</c>.</param>
    /// <param name="capability">The part before the dot, e.g. <c>can</c>.</param>
    /// <returns>True when the name has a dot.</returns>
    public static bool TryGetCapability(ReadOnlySpan<char> name, out ReadOnlySpan<char> capability)
    {
        int dot = name.IndexOf('.');
        capability = dot < 0 ? default : name[..dot];
        return dot >= 0;
    }

    /// <summary>Why <paramref name="name"/> breaks the rule, as a sentence; null when it is valid.</summary>
    /// <param name="name">The action name.</param>
    /// <returns>The reason, or null.</returns>
    public static string? Validate(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty) return "it is empty";
        if (name.Length > MaxLength) return $"it is longer than {MaxLength} characters";
        int dot = name.IndexOf('.');
        if (dot < 0) return SegmentError(name);
        if (name[(dot + 1)..].Contains('.')) return "it has more than one dot (the form is <capability>.<verb>)";
        return SegmentError(name[..dot]) is { } prefix ? "its capability part: " + prefix
            : SegmentError(name[(dot + 1)..]) is { } verb ? "its verb part: " + verb
            : null;
    }

    private static string? SegmentError(ReadOnlySpan<char> segment)
    {
        if (segment.IsEmpty) return "a segment is empty";
        if (segment[0] is < 'a' or > 'z') return "a segment must start with a lower-case letter a-z";
        for (int i = 1; i < segment.Length; i++)
        {
            char c = segment[i];
            if (c == '_')
            {
                if (segment[i - 1] == '_' || i == segment.Length - 1) return "'_' must separate words (no '__', no trailing '_')";
            }
            else if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9')))
            {
                return $"'{c}' is not allowed (only a-z, 0-9 and '_' in lower-case snake_case)";
            }
        }
        return null;
    }
}
