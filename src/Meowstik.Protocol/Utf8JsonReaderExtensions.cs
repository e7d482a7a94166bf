using System.Text.Json;

namespace Meowstik.Protocol;

internal static class Utf8JsonReaderExtensions
{
    public static bool ValueIsEmpty(this ref Utf8JsonReader reader) =>
        reader.HasValueSequence ? reader.ValueSequence.IsEmpty : reader.ValueSpan.IsEmpty;
}
