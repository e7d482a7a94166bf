using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Meowstik.Protocol;
using Meowstik.Protocol.Tests.Support;

namespace Meowstik.Protocol.Tests;

/// <summary>
/// Runs every vector in tests/vectors through the span and sequence decoders: contiguous, split into two segments
/// at every offset, and one byte per segment. Every form must give the same result, down to error offsets.
/// </summary>
public class ConformanceVectorTests
{
    public static TheoryData<string> Valid => VectorFiles.Valid;

    public static TheoryData<string> Invalid => VectorFiles.Invalid;

    [Fact]
    public void The_vector_sets_are_complete()
    {
        Assert.True(Valid.Count >= 30, $"only {Valid.Count} valid vectors");
        Assert.True(Invalid.Count >= 40, $"only {Invalid.Count} invalid vectors");
        foreach (string kind in new[] { "valid", "invalid" })
        {
            foreach (string message in Directory.EnumerateFiles(Path.Combine(VectorFiles.Root, kind), "*.json").Where(f => !f.EndsWith(".expected.json")))
            {
                Assert.True(File.Exists(message[..^".json".Length] + ".expected.json"), $"{message} has no sidecar");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void Valid_vector_decodes_to_the_expected_fields(string name)
    {
        byte[] message = VectorFiles.Message("valid", name);
        JsonElement expected = VectorFiles.Expected("valid", name);
        Assert.True(expected.GetProperty("valid").GetBoolean());

        Assert.True(EnvelopeReader.TryRead(message, out MeshEnvelope env, out ProtocolError error), error.ToString());
        Assert.True(PayloadValidator.TryValidate(env, out error), error.ToString());

        Assert.Equal(expected.GetProperty("type").GetString(), MessageTypes.GetName(env.Type));
        AssertText(expected, "id", env.Id);
        AssertText(expected, "from", env.From);
        AssertText(expected, "to", env.To);
        AssertText(expected, "correlation_id", env.CorrelationId);
        Assert.Equal(expected.GetProperty("timestamp_present").GetBoolean(), env.Timestamp.IsPresent);
        if (expected.TryGetProperty("timestamp", out JsonElement timestamp))
        {
            Span<byte> utc = stackalloc byte[Iso8601Timestamp.Length];
            Iso8601Timestamp.Write(utc, env.TimestampValue!.Value);
            Assert.Equal(timestamp.GetString(), Encoding.ASCII.GetString(utc));
        }
        Assert.Equal(expected.GetProperty("payload_present").GetBoolean(), env.HasPayload);
        if (expected.TryGetProperty("payload", out JsonElement facts))
        {
            using JsonDocument payload = JsonDocument.Parse(env.Payload.GetRawText()!);
            foreach (JsonProperty fact in facts.EnumerateObject())
            {
                JsonElement actual = Navigate(payload.RootElement, fact.Name);
                Assert.True(JsonElement.DeepEquals(fact.Value, actual), $"payload.{fact.Name}: expected {fact.Value.GetRawText()}, got {actual.GetRawText()}");
            }
        }
        if (expected.TryGetProperty("data_decoded_length", out JsonElement length))
        {
            Assert.True(StreamChunk.TryRead(env.Payload, out StreamChunk chunk, out error), error.ToString());
            byte[] data = new byte[chunk.DecodedLengthUpperBound];
            Assert.True(chunk.TryDecodeData(data, out int written));
            Assert.Equal(length.GetInt32(), written);
            Assert.Equal(expected.GetProperty("data_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(data.AsSpan(0, written))));
        }

        AssertSegmentedDecodingMatches(message, ProtocolLimits.Default);
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_vector_is_rejected_with_the_expected_error(string name)
    {
        byte[] message = VectorFiles.Message("invalid", name);
        JsonElement expected = VectorFiles.Expected("invalid", name);
        Assert.False(expected.GetProperty("valid").GetBoolean());
        ProtocolLimits limits = VectorFiles.Limits(expected);

        (string stage, ProtocolError error) = Decode(message, limits);
        Assert.True(ProtocolErrorCodes.TryParse(expected.GetProperty("error").GetString()!, out ProtocolErrorCode code), "unknown error name in sidecar");
        Assert.Equal(code, error.Code);
        JsonElement field = expected.GetProperty("field");
        Assert.Equal(field.ValueKind == JsonValueKind.Null ? null : field.GetString(), error.Field);
        Assert.Equal(expected.GetProperty("stage").GetString(), stage);
        if (expected.TryGetProperty("offset", out JsonElement offset)) Assert.Equal(offset.GetInt64(), error.Offset);
        Assert.InRange(error.Offset, 0, Math.Max(message.Length, limits.MaxMessageBytes));

        AssertSegmentedDecodingMatches(message, limits);
    }

    [Fact]
    public void A_message_over_the_default_1_MiB_is_too_large_and_one_at_the_limit_is_not()
    {
        byte[] prefix = """{"type":"event","payload":{"event":"big","pad":"""u8.ToArray();
        byte[] atLimit = new byte[ProtocolLimits.Default.MaxMessageBytes];
        prefix.CopyTo(atLimit, 0);
        atLimit.AsSpan(prefix.Length).Fill((byte)'a');
        atLimit[prefix.Length] = (byte)'"';
        "\"}}"u8.CopyTo(atLimit.AsSpan(atLimit.Length - 3));
        Assert.True(EnvelopeReader.TryRead(atLimit, out _, out ProtocolError error), error.ToString());

        byte[] over = new byte[atLimit.Length + 1];
        atLimit.AsSpan(0, atLimit.Length - 3).CopyTo(over);
        over[^4] = (byte)'a';
        "\"}}"u8.CopyTo(over.AsSpan(over.Length - 3));
        Assert.False(EnvelopeReader.TryRead(over, out _, out error));
        Assert.Equal(ProtocolErrorCode.TooLarge, error.Code);
        Assert.False(EnvelopeReader.TryRead(Sequences.Chunked(over, 4096), out _, out error));
        Assert.Equal(ProtocolErrorCode.TooLarge, error.Code);
    }

    private static void AssertSegmentedDecodingMatches(byte[] message, ProtocolLimits limits)
    {
        string contiguous = Describe(message, limits);
        Assert.Equal(contiguous, Describe(new ReadOnlySequence<byte>(message), limits));
        for (int split = 0; split <= message.Length; split++)
        {
            string segmented = Describe(Sequences.SplitAt(message, split), limits);
            if (segmented != contiguous) Assert.Fail($"split at {split}: {segmented} != {contiguous}");
            // A pipe can end a message with an empty segment (Utf8JsonReader once crashed on that).
            segmented = Describe(Sequences.Build(message.AsMemory(0, split), message.AsMemory(split), ReadOnlyMemory<byte>.Empty), limits);
            if (segmented != contiguous) Assert.Fail($"split at {split} + empty segment: {segmented} != {contiguous}");
        }
        Assert.Equal(contiguous, Describe(Sequences.OneBytePerSegment(message), limits));
    }

    private static (string Stage, ProtocolError Error) Decode(ReadOnlySpan<byte> message, ProtocolLimits limits)
    {
        if (!EnvelopeReader.TryRead(message, out MeshEnvelope env, out ProtocolError error, limits)) return ("envelope", error);
        return PayloadValidator.TryValidate(env, out error) ? ("none", error) : ("payload", error);
    }

    // A complete textual account of a decode, to compare contiguous and segmented input.
    private static string Describe(ReadOnlySpan<byte> message, ProtocolLimits limits)
    {
        if (!EnvelopeReader.TryRead(message, out MeshEnvelope env, out ProtocolError error, limits)) return "envelope " + error;
        return Describe(env);
    }

    private static string Describe(ReadOnlySequence<byte> message, ProtocolLimits limits)
    {
        if (!EnvelopeReader.TryRead(message, out MeshEnvelope env, out ProtocolError error, limits)) return "envelope " + error;
        return Describe(env);
    }

    private static string Describe(MeshEnvelope env)
    {
        if (!PayloadValidator.TryValidate(env, out ProtocolError error)) return "payload " + error;
        var text = new StringBuilder();
        text.Append(env.Type).Append('|').Append(env.Id.GetString()).Append('|').Append(env.From.GetString()).Append('|')
            .Append(env.To.GetString()).Append('|').Append(env.CorrelationId.GetString()).Append('|').Append(env.Timestamp.GetRawText())
            .Append('|').Append(env.TimestampValue?.ToString("O")).Append('|').Append(env.Length).Append('|').Append(env.IsToHub)
            .Append('|').Append(env.Payload.GetRawText());
        if (env.Type == MessageType.Stream && StreamChunk.TryRead(env.Payload, out StreamChunk chunk, out _))
        {
            byte[] data = new byte[chunk.DecodedLengthUpperBound];
            bool ok = chunk.TryDecodeData(data, out int written);
            text.Append("|data:").Append(ok).Append(':').Append(Convert.ToHexString(SHA256.HashData(data.AsSpan(0, written))));
        }
        return text.ToString();
    }

    private static void AssertText(JsonElement expected, string name, Utf8JsonSlice actual)
    {
        JsonElement value = expected.GetProperty(name);
        if (value.ValueKind == JsonValueKind.Null)
        {
            Assert.False(actual.IsPresent, $"{name} should be absent");
            return;
        }
        Assert.Equal(value.GetString(), actual.GetString());
        Assert.True(actual.ValueEquals(Encoding.UTF8.GetBytes(value.GetString()!)), $"{name}: UTF-8 comparison");
        Assert.True(actual.ValueEquals(value.GetString().AsSpan()), $"{name}: UTF-16 comparison");
        Span<byte> copy = stackalloc byte[512];
        Assert.True(actual.TryCopyString(copy, out int written));
        Assert.Equal(value.GetString(), Encoding.UTF8.GetString(copy[..written]));
    }

    private static JsonElement Navigate(JsonElement root, string path)
    {
        JsonElement current = root;
        foreach (string part in path.Split('.'))
        {
            Assert.True(current.ValueKind == JsonValueKind.Object && current.TryGetProperty(part, out current), $"payload has no {path}");
        }
        return current;
    }
}
