using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Meowstik.Protocol;
using Meowstik.Protocol.Tests.Support;

namespace Meowstik.Protocol.Tests;

public class BinaryStreamFrameTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 19, 12, 0, 0, TimeSpan.Zero);

    private static byte[] WriteFrame(byte[] data, out string id)
    {
        var output = new ArrayBufferWriter<byte>();
        using var writer = new BinaryStreamFrameWriter();
        var header = new EnvelopeHeader(MessageType.Stream) { From = "phone-001"u8, To = "hub"u8, Timestamp = Now };
        var meta = new StreamChunkMetadata("audio"u8) { Codec = "opus"u8, SampleRate = 48000, Channels = 1, ChunkIndex = 42 };
        writer.Write(output, header, meta, data);
        id = Encoding.ASCII.GetString(writer.LastId);
        return output.WrittenSpan.ToArray();
    }

    [Fact]
    public void Writes_the_documented_layout()
    {
        byte[] data = [9, 8, 7, 6, 5];
        byte[] frame = WriteFrame(data, out string id);
        Assert.Equal(BinaryStreamFrame.CurrentVersion, frame[0]);
        int headerLength = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(1));
        Assert.Equal(frame.Length, 3 + headerLength + data.Length);
        string header = Encoding.UTF8.GetString(frame, 3, headerLength);
        Assert.Equal(
            $$$"""{"id":"{{{id}}}","type":"stream","from":"phone-001","to":"hub","timestamp":"2026-01-19T12:00:00.000Z","payload":{"stream_type":"audio","codec":"opus","sample_rate":48000,"channels":1,"chunk_index":42}}""",
            header);
        Assert.Equal(data, frame[(3 + headerLength)..]);
    }

    [Fact]
    public void Reads_span_and_every_two_segment_split_identically()
    {
        byte[] data = Enumerable.Range(0, 40).Select(i => (byte)i).ToArray();
        byte[] frame = WriteFrame(data, out _);
        AssertFrame(frame, data);
        for (int split = 0; split <= frame.Length; split++) AssertFrame(Sequences.SplitAt(frame, split), data);
        AssertFrame(Sequences.OneBytePerSegment(frame), data);
    }

    private static void AssertFrame(ReadOnlySpan<byte> frame, byte[] data)
    {
        Assert.True(BinaryStreamFrame.TryRead(frame, out BinaryStreamFrame parsed, out ProtocolError error), error.ToString());
        AssertParsed(parsed, data);
    }

    private static void AssertFrame(ReadOnlySequence<byte> frame, byte[] data)
    {
        Assert.True(BinaryStreamFrame.TryRead(frame, out BinaryStreamFrame parsed, out ProtocolError error), error.ToString());
        AssertParsed(parsed, data);
    }

    private static void AssertParsed(BinaryStreamFrame parsed, byte[] data)
    {
        Assert.Equal(MessageType.Stream, parsed.Header.Type);
        Assert.True(parsed.Header.From.ValueEquals("phone-001"u8));
        Assert.Equal(Now, parsed.Header.TimestampValue);
        Assert.Equal(data.Length, parsed.DataLength);
        byte[] copy = new byte[data.Length];
        Assert.True(parsed.TryCopyDataTo(copy, out int written));
        Assert.Equal(data.Length, written);
        Assert.Equal(data, copy);
        Assert.True(parsed.TryReadMetadata(out StreamChunk meta, out ProtocolError error), error.ToString());
        Assert.True(meta.StreamType.ValueEquals("audio"u8));
        Assert.Equal(42, meta.ChunkIndex);
        Assert.False(meta.Data.IsPresent);
    }

    [Fact]
    public void Converts_binary_to_json_and_back_byte_for_byte()
    {
        byte[] data = Enumerable.Range(0, 1000).Select(i => (byte)(i * 31)).ToArray();
        byte[] frame = WriteFrame(data, out string id);

        var json = new ArrayBufferWriter<byte>();
        Assert.True(BinaryStreamConverter.TryConvertToJson(frame, json, out ProtocolError error), error.ToString());
        string text = Encoding.UTF8.GetString(json.WrittenSpan);
        Assert.Contains($"\"id\":\"{id}\"", text);
        Assert.EndsWith($",\"chunk_index\":42,\"data\":\"{Convert.ToBase64String(data)}\"}}}}", text);

        Assert.True(EnvelopeReader.TryRead(json.WrittenSpan, out MeshEnvelope env, out error), error.ToString());
        Assert.True(StreamChunk.TryRead(env.Payload, out StreamChunk chunk, out error), error.ToString());
        byte[] decoded = new byte[chunk.DecodedLengthUpperBound];
        Assert.True(chunk.TryDecodeData(decoded, out int written));
        Assert.Equal(data, decoded[..written]);

        var back = new ArrayBufferWriter<byte>();
        Assert.True(BinaryStreamConverter.TryConvertToBinary(json.WrittenSpan, back, out error), error.ToString());
        Assert.Equal(frame, back.WrittenSpan.ToArray());

        // Multi-segment inputs convert identically.
        var json2 = new ArrayBufferWriter<byte>();
        Assert.True(BinaryStreamConverter.TryConvertToJson(Sequences.Chunked(frame, 64), json2, out error), error.ToString());
        Assert.Equal(json.WrittenSpan.ToArray(), json2.WrittenSpan.ToArray());
        var back2 = new ArrayBufferWriter<byte>();
        Assert.True(BinaryStreamConverter.TryConvertToBinary(Sequences.Chunked(json.WrittenSpan.ToArray(), 64), back2, out error), error.ToString());
        Assert.Equal(frame, back2.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData("""{"type":"stream","payload":{"data":"AQID","stream_type":"audio"}}""", """{"type":"stream","payload":{"stream_type":"audio"}}""")]
    [InlineData("""{"type":"stream","payload":{ "data" : "AQID" , "stream_type":"audio"}}""", """{"type":"stream","payload":{  "stream_type":"audio"}}""")]
    [InlineData("""{"type":"stream","payload":{"stream_type":"audio" , "data":"AQID"}}""", """{"type":"stream","payload":{"stream_type":"audio"}}""")]
    [InlineData("""{"type":"stream","payload":{"stream_type":"audio","d\u0061ta":"AQID","codec":"opus"},"x":1}""", """{"type":"stream","payload":{"stream_type":"audio","codec":"opus"},"x":1}""")]
    public void Json_to_binary_cuts_data_wherever_it_is(string json, string expectedHeader)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.True(BinaryStreamConverter.TryConvertToBinary(Encoding.UTF8.GetBytes(json), output, out ProtocolError error), error.ToString());
        byte[] frame = output.WrittenSpan.ToArray();
        int headerLength = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(1));
        Assert.Equal(expectedHeader, Encoding.UTF8.GetString(frame, 3, headerLength));
        Assert.Equal(new byte[] { 1, 2, 3 }, frame[(3 + headerLength)..]);
        Assert.True(BinaryStreamFrame.TryRead(frame, out _, out error), error.ToString());
    }

    [Fact]
    public void Binary_to_json_with_an_empty_payload_needs_no_comma()
    {
        // A header payload without stream_type is invalid; build the smallest valid one by hand.
        byte[] header = """{"type":"stream","payload":{"stream_type":"x"}}"""u8.ToArray();
        var output = new ArrayBufferWriter<byte>();
        BinaryStreamFrame.Write(output, header, [0xFF]);
        var json = new ArrayBufferWriter<byte>();
        Assert.True(BinaryStreamConverter.TryConvertToJson(output.WrittenSpan, json, out ProtocolError error), error.ToString());
        Assert.Equal("""{"type":"stream","payload":{"stream_type":"x","data":"/w=="}}""", Encoding.UTF8.GetString(json.WrittenSpan));
    }

    [Fact]
    public void Converting_a_bad_base64_json_chunk_fails_and_writes_nothing()
    {
        var output = new ArrayBufferWriter<byte>();
        byte[] json = """{"type":"stream","payload":{"stream_type":"audio","data":"!!!!"}}"""u8.ToArray();
        Assert.False(BinaryStreamConverter.TryConvertToBinary(json, output, out ProtocolError error));
        Assert.Equal(ProtocolErrorCode.InvalidField, error.Code);
        Assert.Equal("payload.data", error.Field);
        Assert.Equal(0, output.WrittenCount);

        json = """{"type":"event","payload":{"event":"x"}}"""u8.ToArray();
        Assert.False(BinaryStreamConverter.TryConvertToBinary(json, output, out error));
        Assert.Equal(ProtocolErrorCode.InvalidFrame, error.Code);
        Assert.Equal("type", error.Field);
    }

    public static TheoryData<string, ProtocolErrorCode, string?> BadFrames => new()
    {
        { "", ProtocolErrorCode.InvalidFrame, "header_length" },
        { "01 00", ProtocolErrorCode.InvalidFrame, "header_length" },
        { "02 00 02 7B 7D", ProtocolErrorCode.InvalidFrame, "version" },
        { "01 00 00", ProtocolErrorCode.InvalidFrame, "header_length" },
        { "01 00 FF 7B 7D", ProtocolErrorCode.InvalidFrame, "header_length" },
        { Hex("""{"type":"event","payload":{"event":"x"}}"""), ProtocolErrorCode.InvalidFrame, "type" },
        { Hex("""{"type":"stream","payload":{"stream_type":"a","data":"AA=="}}"""), ProtocolErrorCode.InvalidField, "payload.data" },
        { Hex("""{"type":"stream","payload":{"codec":"a"}}"""), ProtocolErrorCode.MissingField, "payload.stream_type" },
        { Hex("""{"type":"stream","payload":{"stream_type":"a"}"""), ProtocolErrorCode.MalformedJson, null },
    };

    [Theory]
    [MemberData(nameof(BadFrames))]
    public void Rejects_malformed_frames_with_typed_errors(string hex, ProtocolErrorCode code, string? field)
    {
        byte[] frame = hex.Length == 0 ? [] : Convert.FromHexString(hex.Replace(" ", ""));
        Assert.False(BinaryStreamFrame.TryRead(frame, out _, out ProtocolError error));
        Assert.Equal(code, error.Code);
        Assert.Equal(field, error.Field);
        if (frame.Length > 1)
        {
            Assert.False(BinaryStreamFrame.TryRead(Sequences.OneBytePerSegment(frame), out _, out error));
            Assert.Equal(code, error.Code);
            Assert.Equal(field, error.Field);
        }
        Assert.False(BinaryStreamConverter.TryConvertToJson(frame, new ArrayBufferWriter<byte>(), out error));
        Assert.Equal(code, error.Code);
    }

    [Fact]
    public void Rejects_frames_over_the_size_limit()
    {
        byte[] frame = WriteFrame(new byte[2000], out _);
        var limits = new ProtocolLimits { MaxMessageBytes = 1024 };
        Assert.False(BinaryStreamFrame.TryRead(frame, out _, out ProtocolError error, limits));
        Assert.Equal(ProtocolErrorCode.TooLarge, error.Code);
        Assert.False(BinaryStreamFrame.TryRead(Sequences.Chunked(frame, 100), out _, out error, limits));
        Assert.Equal(ProtocolErrorCode.TooLarge, error.Code);
    }

    // The hex of a frame (prefix + header) carrying 2 data bytes.
    private static string Hex(string header)
    {
        byte[] h = Encoding.UTF8.GetBytes(header);
        return "01" + ((ushort)h.Length).ToString("X4") + Convert.ToHexString(h) + "AABB";
    }
}
