using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Meowstik.Agent;

/// <summary>
/// One JSON value as UTF-8 bytes: a command result, event data or request params. Build it with a writer callback,
/// from a <see cref="JsonElement"/>, from a source-generated <see cref="JsonTypeInfo{T}"/>, or from raw JSON (validated).
/// Trimming- and NativeAOT-safe: no reflection-based serialization.
/// </summary>
public readonly struct MeshJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = false };

    private MeshJson(ReadOnlyMemory<byte> utf8)
    {
        Utf8 = utf8;
    }

    /// <summary>A missing value (the field is left out of the payload).</summary>
    public static MeshJson None => default;

    /// <summary>The JSON <c>null</c> literal.</summary>
    public static MeshJson Null { get; } = new("null"u8.ToArray());

    /// <summary>The UTF-8 bytes of the value; empty for <see cref="None"/>.</summary>
    public ReadOnlyMemory<byte> Utf8 { get; }

    /// <summary>Whether this is <see cref="None"/>.</summary>
    public bool IsNone => Utf8.IsEmpty;

    /// <summary>Builds a JSON object: the callback writes its properties (<c>w.WriteNumber("speed_mph", 65)</c>).</summary>
    /// <param name="writeProperties">Writes the object's properties; the braces are written for you.</param>
    /// <returns>The object.</returns>
    public static MeshJson Object(Action<Utf8JsonWriter> writeProperties)
    {
        ArgumentNullException.ThrowIfNull(writeProperties);
        return Value(w =>
        {
            w.WriteStartObject();
            writeProperties(w);
            w.WriteEndObject();
        });
    }

    /// <summary>Builds any JSON value with a writer callback, which must write exactly one value.</summary>
    /// <param name="writeValue">Writes the value.</param>
    /// <returns>The value.</returns>
    public static MeshJson Value(Action<Utf8JsonWriter> writeValue)
    {
        ArgumentNullException.ThrowIfNull(writeValue);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writeValue(writer);
            writer.Flush();
            if (writer.CurrentDepth != 0 || writer.BytesCommitted == 0)
            {
                throw new ArgumentException("The callback must write exactly one complete JSON value.", nameof(writeValue));
            }
        }

        return new MeshJson(buffer.WrittenSpan.ToArray());
    }

    /// <summary>Copies a <see cref="JsonElement"/>.</summary>
    /// <param name="element">The value; <see cref="JsonValueKind.Undefined"/> gives <see cref="None"/>.</param>
    /// <returns>The value.</returns>
    public static MeshJson From(JsonElement element) =>
        element.ValueKind == JsonValueKind.Undefined ? None : Value(element.WriteTo);

    /// <summary>Serializes a value with source-generated metadata (a <c>JsonSerializerContext</c> property).</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="value">The value.</param>
    /// <param name="typeInfo">Its metadata, e.g. <c>MyJsonContext.Default.GpsFix</c>.</param>
    /// <returns>The value.</returns>
    public static MeshJson From<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return new MeshJson(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));
    }

    /// <summary>Wraps raw UTF-8 JSON after checking it is exactly one well-formed value.</summary>
    /// <param name="utf8Json">The JSON text.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ArgumentException">The text is not one well-formed JSON value.</exception>
    public static MeshJson Raw(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json);
        try
        {
            if (!reader.Read())
            {
                throw new ArgumentException("Empty JSON.", nameof(utf8Json));
            }

            reader.Skip();
            if (reader.Read())
            {
                throw new ArgumentException("More than one JSON value.", nameof(utf8Json));
            }
        }
        catch (JsonException ex)
        {
            throw new ArgumentException("Malformed JSON: " + ex.Message, nameof(utf8Json), ex);
        }

        return new MeshJson(utf8Json.ToArray());
    }

    /// <summary>Wraps raw JSON text after checking it is exactly one well-formed value.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The value.</returns>
    public static MeshJson Raw(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Raw(System.Text.Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Parses the value into a <see cref="JsonElement"/> (undefined for <see cref="None"/>).</summary>
    /// <returns>The element; it needs no disposal.</returns>
    public JsonElement ToElement()
    {
        if (IsNone)
        {
            return default;
        }

        var reader = new Utf8JsonReader(Utf8.Span);
        return JsonElement.ParseValue(ref reader);
    }

    /// <summary>Writes the value into a writer (as a property value or array item).</summary>
    /// <param name="writer">The writer.</param>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (IsNone)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteRawValue(Utf8.Span, skipInputValidation: true);
        }
    }

    /// <inheritdoc />
    public override string ToString() => IsNone ? string.Empty : System.Text.Encoding.UTF8.GetString(Utf8.Span);
}
