using System.Buffers;
using System.Text;
using Meowstik.Protocol;
using Meowstik.Protocol.Tests.Support;

namespace Meowstik.Protocol.Tests;

/// <summary>
/// Contiguous input is decoded by a hand-written scanner that falls back to Utf8JsonReader for anything it does not
/// accept; segmented input always uses the reader. Both must agree on every input: here, on thousands of random
/// mutations of the conformance vectors.
/// </summary>
public class FastPathDifferentialTests
{
    private static readonly byte[] Interesting = "{}[]\":,\\ \t\n0123456789-+.eEtfnuaxZT/"u8.ToArray();

    [Fact]
    public void Scanner_and_reader_agree_on_mutated_messages()
    {
        var random = new Random(99);
        var sources = new List<byte[]>();
        foreach (string kind in new[] { "valid", "invalid" })
        {
            foreach (string file in Directory.EnumerateFiles(Path.Combine(VectorFiles.Root, kind), "*.json").Where(f => !f.EndsWith(".expected.json")).Order(StringComparer.Ordinal))
            {
                byte[] bytes = File.ReadAllBytes(file);
                if (bytes.Length <= 4096) sources.Add(bytes);
            }
        }
        Assert.True(sources.Count > 100);

        int cases = 0, accepted = 0;
        foreach (byte[] source in sources)
        {
            Compare(source);
            for (int m = 0; m < 60; m++)
            {
                byte[] mutated = Mutate(source, random);
                if (Compare(mutated)) accepted++;
                cases++;
            }
        }
        // The mutations must exercise both outcomes for the comparison to mean anything.
        Assert.True(accepted > cases / 20, $"only {accepted} of {cases} mutations were valid");
        Assert.True(accepted < cases - cases / 20, $"{accepted} of {cases} mutations were valid");
    }

    [Theory]
    [InlineData("2026-01-19T12:00:00Z")]
    [InlineData("2026-01-19T12:00:00.1Z")]
    [InlineData("2026-01-19T12:00:00.1234567Z")]
    [InlineData("2026-01-19T12:00:00.12345678Z")]
    [InlineData("2026-01-19T12:00:00-00:00")]
    [InlineData("2026-01-19T12:00:00+13:59")]
    [InlineData("2026-01-19T12:00:00+14:00")]
    [InlineData("2026-01-19T12:00:00-14:00")]
    [InlineData("2026-01-19T12:00:00+15:00")]
    [InlineData("2026-01-19T24:00:00Z")]
    [InlineData("2026-01-19T23:59:60Z")]
    [InlineData("2024-02-29T00:00:00Z")]
    [InlineData("2026-02-29T00:00:00Z")]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("0001-01-01T00:00:00+01:00")]
    [InlineData("9999-12-31T23:59:59-01:00")]
    [InlineData("2026-01-19T12:00Z")]
    [InlineData("2026-01-19t12:00:00z")]
    [InlineData("2026-01-19T12:00:00.Z")]
    [InlineData("2026-01-19T12:00:00+0100")]
    [InlineData("2026-01-19T12:00:00+01")]
    [InlineData("+2026-01-19T12:00:00Z")]
    [InlineData("2026-1-19T12:00:00Z")]
    public void Scanner_and_reader_agree_on_timestamps(string timestamp)
    {
        Compare(Encoding.UTF8.GetBytes($$"""{"type":"heartbeat","timestamp":"{{timestamp}}"}"""));
    }

    [Fact]
    public void String_scanner_finds_every_stop_at_every_position_and_length()
    {
        // Quote, backslash-escape and control characters at every position of strings up to 200 bytes, with and
        // without bytes after the string: covers the 16-byte blocks, the switch to SearchValues and the tails.
        for (int length = 0; length <= 200; length++)
        {
            for (int tail = 0; tail <= 17; tail += 17)
            {
                byte[] text = new byte[1 + length + 1 + tail];
                text.AsSpan().Fill((byte)'a');
                text[0] = (byte)'"';
                text[1 + length] = (byte)'"';
                Assert.Equal(length + 2, JsonScan.String(text, 0, out bool escaped));
                Assert.False(escaped);
                for (int at = 1; at <= length; at++)
                {
                    byte[] control = (byte[])text.Clone();
                    control[at] = 0x1F;
                    Assert.Equal(-1, JsonScan.String(control, 0, out _));
                    byte[] early = (byte[])text.Clone();
                    early[at] = (byte)'"';
                    Assert.Equal(at + 1, JsonScan.String(early, 0, out _));
                    if (at < length)
                    {
                        byte[] escape = (byte[])text.Clone();
                        escape[at] = (byte)'\\';
                        escape[at + 1] = (byte)'n';
                        Assert.Equal(length + 2, JsonScan.String(escape, 0, out escaped));
                        Assert.True(escaped);
                    }
                }
                Assert.Equal(-1, JsonScan.String(text.AsSpan(0, 1 + length), 0, out _)); // unterminated
            }
        }
    }

    private static bool Compare(byte[] message)
    {
        string fast = Describe(message);
        string slow = Describe(Sequences.SplitAt(message, Math.Min(1, message.Length)));
        string slowWithEmptyTail = Describe(Sequences.Build(message, ReadOnlyMemory<byte>.Empty));
        Assert.Equal(slow, slowWithEmptyTail);
        if (message.Length > 1 && fast != slow)
        {
            Assert.Fail($"scanner and reader disagree on {Convert.ToHexString(message)} ({Encoding.UTF8.GetString(message)}):\nfast: {fast}\nslow: {slow}");
        }
        return fast.StartsWith("ok", StringComparison.Ordinal);
    }

    private static string Describe(ReadOnlySpan<byte> message) =>
        EnvelopeReader.TryRead(message, out MeshEnvelope env, out ProtocolError error) ? Describe(env) : "envelope " + error;

    private static string Describe(ReadOnlySequence<byte> message) =>
        EnvelopeReader.TryRead(message, out MeshEnvelope env, out ProtocolError error) ? Describe(env) : "envelope " + error;

    private static string Describe(MeshEnvelope env)
    {
        string validation = PayloadValidator.TryValidate(env, out ProtocolError error) ? "valid" : error.ToString();
        // The envelope overload reuses the scanner's member offsets; it must read exactly what the slice overload reads.
        string command = "";
        if (env.HasPayload)
        {
            bool viaPayload = CommandPayload.TryRead(env.Payload, out CommandPayload fromPayload, out ProtocolError payloadError);
            bool viaEnvelope = CommandPayload.TryRead(env, out CommandPayload fromEnvelope, out ProtocolError envelopeError);
            command = viaPayload ? DescribeCommand(fromPayload) : "command " + payloadError;
            Assert.Equal(command, viaEnvelope ? DescribeCommand(fromEnvelope) : "command " + envelopeError);
        }
        return $"ok {command}|{env.Type}|{env.Id.GetRawText()}|{env.Id.IsEscaped}|{env.From.GetRawText()}|{env.To.GetRawText()}|{env.CorrelationId.GetRawText()}|"
            + $"{env.Timestamp.GetRawText()}|{env.TimestampValue?.ToString("O")}|{env.Payload.GetRawText()}|{env.Length}|{validation}";
    }

    private static string DescribeCommand(CommandPayload c) =>
        $"{DescribeSlice(c.Action)}|{DescribeSlice(c.Params)}|{DescribeSlice(c.Target)}|{DescribeSlice(c.Command)}|{c.TimeoutMs}";

    private static string DescribeSlice(Utf8JsonSlice slice) => $"{slice.TokenType}:{slice.IsEscaped}:{slice.GetRawText()}";

    private static byte[] Mutate(byte[] source, Random random)
    {
        var bytes = new List<byte>(source);
        int edits = random.Next(1, 3);
        for (int e = 0; e < edits; e++)
        {
            int at = random.Next(bytes.Count + 1);
            switch (random.Next(5))
            {
                case 0 when at < bytes.Count: bytes[at] = Interesting[random.Next(Interesting.Length)]; break;
                case 1 when at < bytes.Count: bytes.RemoveAt(at); break;
                case 2: bytes.Insert(at, Interesting[random.Next(Interesting.Length)]); break;
                case 3 when at < bytes.Count:
                    int length = Math.Min(random.Next(1, 12), bytes.Count - at);
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                default:
                    if (bytes.Count == 0) break;
                    int from = random.Next(bytes.Count), to = random.Next(bytes.Count);
                    (bytes[from], bytes[to]) = (bytes[to], bytes[from]);
                    break;
            }
        }
        return bytes.ToArray();
    }
}

public class DeepNestingTests
{
    [Fact]
    public void Very_deep_nesting_with_a_raised_depth_limit_neither_overflows_the_stack_nor_disagrees()
    {
        // 200,000 levels: a recursive scanner would overflow the stack (an uncatchable crash); the scanner stops
        // recursing at JsonScan.MaxRecursion and the iterative reader takes over.
        const int Levels = 200_000;
        string json = "{\"type\":\"event\",\"payload\":{\"event\":\"deep\",\"d\":" + new string('[', Levels) + new string(']', Levels) + "}}";
        byte[] message = System.Text.Encoding.UTF8.GetBytes(json);
        var limits = new ProtocolLimits { MaxDepth = Levels + 10, MaxMessageBytes = message.Length };
        bool ok = false;
        ProtocolError error = default;
        // Run on a thread with a small stack so that unbounded recursion would certainly fail the test run.
        var thread = new Thread(() =>
        {
            ok = EnvelopeReader.TryRead(message, out MeshEnvelope env, out error, limits)
                && Meowstik.Protocol.EventPayload.TryRead(env.Payload, out var ev, out error)
                && Meowstik.Protocol.PayloadValidator.TryValidate(env, out error)
                && env.Payload.TryGetProperty("d"u8, out Utf8JsonSlice d) && d.Length == 2 * Levels;
        }, maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        Assert.True(ok, error.ToString());

        Assert.False(EnvelopeReader.TryRead(message, out _, out error));
        Assert.Equal(ProtocolErrorCode.TooDeep, error.Code);
    }

    [Fact]
    public void A_deep_binary_frame_header_converts_under_a_raised_depth_limit()
    {
        const int Levels = 300; // deeper than any fixed reader limit
        string header = "{\"type\":\"stream\",\"payload\":{\"stream_type\":\"data\",\"meta\":" + new string('[', Levels) + new string(']', Levels) + "}}";
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        Meowstik.Protocol.BinaryStreamFrame.Write(output, System.Text.Encoding.UTF8.GetBytes(header), [1, 2, 3]);
        var limits = new ProtocolLimits { MaxDepth = Levels + 10 };
        var json = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.True(Meowstik.Protocol.BinaryStreamConverter.TryConvertToJson(output.WrittenSpan, json, out ProtocolError error, limits), error.ToString());
        var back = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.True(Meowstik.Protocol.BinaryStreamConverter.TryConvertToBinary(json.WrittenSpan, back, out error, limits), error.ToString());
        Assert.Equal(output.WrittenSpan.ToArray(), back.WrittenSpan.ToArray());
    }
}
