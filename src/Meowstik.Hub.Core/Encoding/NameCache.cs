using System.Collections.Concurrent;
using System.Text;

namespace Meowstik.Hub.Core;

/// <summary>
/// Interns the few distinct action and event names a mesh uses, so looking one up from UTF-8 does not allocate a string per
/// message. Bounded: past <see cref="Capacity"/> names, new ones are returned as fresh strings without being cached.
/// </summary>
internal sealed class NameCache
{
    public const int Capacity = 4096;
    private const int MaxNameLength = 128;

    private readonly ConcurrentDictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    public NameCache() => _bySpan = _names.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Returns the interned string for a UTF-8 name; null when it is empty, too long or not valid UTF-8.</summary>
    public string? Intern(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty || utf8.Length > MaxNameLength) return null;
        Span<char> chars = stackalloc char[MaxNameLength];
        if (!Encoding.UTF8.TryGetChars(utf8, chars, out int written)) return null;
        return Intern(chars[..written]);
    }

    /// <summary>Returns the interned string for a name.</summary>
    public string Intern(ReadOnlySpan<char> name)
    {
        if (_bySpan.TryGetValue(name, out string? cached)) return cached;
        string created = name.ToString();
        return _names.Count < Capacity ? _names.GetOrAdd(created, created) : created;
    }
}
