using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>A JSON array of strings (e.g. <c>capabilities</c>) read lazily from the input without allocating.</summary>
public readonly ref struct Utf8StringArray
{
    private readonly Utf8JsonSlice _array;

    internal Utf8StringArray(Utf8JsonSlice array) => _array = array;

    /// <summary>True when the array was present.</summary>
    public bool IsPresent => _array.TokenType == JsonTokenType.StartArray;

    /// <summary>The raw array JSON.</summary>
    public Utf8JsonSlice Raw => _array;

    /// <summary>Counts the elements.</summary>
    public int Count()
    {
        int count = 0;
        foreach (Utf8JsonSlice _ in this) count++;
        return count;
    }

    /// <summary>True when an element equals <paramref name="utf8"/>.</summary>
    public bool Contains(ReadOnlySpan<byte> utf8)
    {
        foreach (Utf8JsonSlice item in this)
        {
            if (item.ValueEquals(utf8)) return true;
        }
        return false;
    }

    /// <summary>Copies the elements into a new string array. Allocates.</summary>
    public string[] ToArray()
    {
        var result = new string[Count()];
        int i = 0;
        foreach (Utf8JsonSlice item in this) result[i++] = item.GetString()!;
        return result;
    }

    /// <summary>Enumerates the string elements.</summary>
    public Enumerator GetEnumerator() => new(_array);

    /// <summary>Enumerates the elements of a <see cref="Utf8StringArray"/>.</summary>
    public ref struct Enumerator
    {
        private readonly Utf8JsonSlice _array;
        private Utf8JsonReader _reader;
        private readonly bool _present;

        internal Enumerator(Utf8JsonSlice array)
        {
            _array = array;
            _present = array.TokenType == JsonTokenType.StartArray;
            _reader = _present ? array.CreateReader() : default;
            if (_present) _reader.Read();
            Current = default;
        }

        /// <summary>The current element.</summary>
        public Utf8JsonSlice Current { get; private set; }

        /// <summary>Advances to the next string element.</summary>
        public bool MoveNext()
        {
            if (!_present) return false;
            while (_reader.Read())
            {
                if (_reader.TokenType == JsonTokenType.EndArray && _reader.CurrentDepth == 0) return false;
                if (_reader.TokenType == JsonTokenType.String)
                {
                    Current = _array.SliceCurrent(ref _reader);
                    return true;
                }
                if (_reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) _reader.Skip();
            }
            return false;
        }
    }
}
