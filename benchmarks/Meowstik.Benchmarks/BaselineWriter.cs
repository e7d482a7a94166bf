using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Meowstik.Benchmarks;

/// <summary>A reusable output for the System.Text.Json baseline, with the same writer options as the mesh codec.</summary>
public sealed class BaselineWriter
{
    public BaselineWriter(int capacity)
    {
        Output = new ArrayBufferWriter<byte>(capacity);
        Json = new Utf8JsonWriter(Output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
    }

    public ArrayBufferWriter<byte> Output { get; }

    public Utf8JsonWriter Json { get; }

    /// <summary>Clears the output and returns the writer, ready for the next message.</summary>
    public Utf8JsonWriter Reset()
    {
        Output.ResetWrittenCount();
        Json.Reset();
        return Json;
    }
}
