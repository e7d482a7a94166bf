using System.Buffers;
using System.Text;
using System.Text.Json;
using Meowstik.Protocol;
using Meowstik.Protocol.Tests.Support;

namespace Meowstik.Protocol.Tests;

public class StreamChunkTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 19, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Reads_the_design_document_audio_chunk()
    {
        byte[] json = Encoding.UTF8.GetBytes("""
            {"type":"stream","from":"phone-001","payload":{"stream_type":"audio","codec":"opus","sample_rate":48000,"channels":1,"chunk_index":42,"data":"AQID"}}
            """);
        Assert.True(EnvelopeReader.TryRead(json, out MeshEnvelope env, out ProtocolError error), error.ToString());
        Assert.True(StreamChunk.TryRead(env.Payload, out StreamChunk chunk, out error), error.ToString());
        Assert.True(chunk.StreamType.ValueEquals("audio"u8));
        Assert.True(chunk.Codec.ValueEquals("opus"u8));
        Assert.Equal(48000, chunk.SampleRate);
        Assert.Equal(1, chunk.Channels);
        Assert.Equal(42, chunk.ChunkIndex);
        Assert.Null(chunk.FrameIndex);
        Assert.Null(chunk.Width);
        Span<byte> bytes = stackalloc byte[chunk.DecodedLengthUpperBound];
        Assert.True(chunk.TryDecodeData(bytes, out int written));
        Assert.Equal(new byte[] { 1, 2, 3 }, bytes[..written].ToArray());
    }

    [Fact]
    public void Writes_a_video_frame_whose_base64_is_not_escaped_and_round_trips()
    {
        // Bytes chosen so the base64 text contains both '+' and '/'.
        byte[] data = [0xFB, 0xEF, 0xFF, 0xFB, 0xEF, 0xBE, 0x00, 0x10];
        string expectedBase64 = Convert.ToBase64String(data);
        Assert.Contains('+', expectedBase64);
        Assert.Contains('/', expectedBase64);

        var buffer = new ArrayBufferWriter<byte>();
        var writer = new EnvelopeWriter();
        Utf8JsonWriter json = writer.BeginEnvelope(buffer, new EnvelopeHeader(MessageType.Stream) { From = "desktop-001"u8, Timestamp = Now });
        var meta = new StreamChunkMetadata("video"u8) { Codec = "jpeg"u8, Width = 1920, Height = 1080, FrameIndex = 1234 };
        StreamChunk.Write(json, meta, data);
        writer.EndEnvelope();

        string text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.Contains($"\"data\":\"{expectedBase64}\"", text);
        Assert.Contains("\"stream_type\":\"video\",\"codec\":\"jpeg\",\"width\":1920,\"height\":1080,\"frame_index\":1234", text);

        Assert.True(EnvelopeReader.TryRead(buffer.WrittenSpan, out MeshEnvelope env, out ProtocolError error), error.ToString());
        Assert.True(StreamChunk.TryRead(env.Payload, out StreamChunk chunk, out error), error.ToString());
        Assert.Equal(1920, chunk.Width);
        Assert.Equal(1080, chunk.Height);
        Assert.Equal(1234, chunk.FrameIndex);
        byte[] decoded = new byte[chunk.DecodedLengthUpperBound];
        Assert.True(chunk.TryDecodeData(decoded, out int written));
        Assert.Equal(data, decoded[..written]);
    }

    [Fact]
    public void Decodes_escaped_base64_through_the_pooled_fallback()
    {
        // Some encoders write '/' as "\/"; the text is still the same base64.
        byte[] data = [0xFF, 0xFF, 0xFF, 0xFB, 0xEF];
        string b64 = Convert.ToBase64String(data).Replace("/", "\\/");
        byte[] json = Encoding.UTF8.GetBytes($$$"""{"type":"stream","payload":{"stream_type":"data","data":"{{{b64}}}"}}""");
        Assert.True(EnvelopeReader.TryRead(json, out MeshEnvelope env, out ProtocolError error), error.ToString());
        Assert.True(StreamChunk.TryRead(env.Payload, out StreamChunk chunk, out error), error.ToString());
        Assert.True(chunk.Data.IsEscaped);
        byte[] decoded = new byte[chunk.DecodedLengthUpperBound];
        Assert.True(chunk.TryDecodeData(decoded, out int written));
        Assert.Equal(data, decoded[..written]);
    }

    [Fact]
    public void Decodes_base64_split_across_segments()
    {
        byte[] data = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray();
        byte[] json = Encoding.UTF8.GetBytes($$$"""{"type":"stream","payload":{"stream_type":"data","data":"{{{Convert.ToBase64String(data)}}}"}}""");
        ReadOnlySequence<byte> sequence = Sequences.Chunked(json, 97);
        Assert.True(EnvelopeReader.TryRead(sequence, out MeshEnvelope env, out ProtocolError error), error.ToString());
        Assert.True(StreamChunk.TryRead(env.Payload, out StreamChunk chunk, out error), error.ToString());
        byte[] decoded = new byte[chunk.DecodedLengthUpperBound];
        Assert.True(chunk.TryDecodeData(decoded, out int written));
        Assert.Equal(data, decoded[..written]);
    }

    [Theory]
    [InlineData("AQI*", OperationStatus.InvalidData)]
    [InlineData("AQI", OperationStatus.InvalidData)]
    [InlineData("AQIDBA==", OperationStatus.DestinationTooSmall)]
    public void Reports_bad_base64_and_short_destinations(string base64, OperationStatus expected)
    {
        byte[] json = Encoding.UTF8.GetBytes($$$"""{"type":"stream","payload":{"stream_type":"data","data":"{{{base64}}}"}}""");
        Assert.True(EnvelopeReader.TryRead(json, out MeshEnvelope env, out _));
        Assert.True(StreamChunk.TryRead(env.Payload, out StreamChunk chunk, out _));
        Span<byte> small = stackalloc byte[3];
        Assert.Equal(expected, chunk.DecodeData(small, out _));
        Assert.False(chunk.TryDecodeData(small, out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Decodes_into_an_exactly_sized_destination()
    {
        byte[] json = """{"type":"stream","payload":{"stream_type":"data","data":"QQ=="}}"""u8.ToArray();
        Assert.True(EnvelopeReader.TryRead(json, out MeshEnvelope env, out _));
        Assert.True(StreamChunk.TryRead(env.Payload, out StreamChunk chunk, out _));
        Span<byte> one = stackalloc byte[1];
        Assert.True(chunk.TryDecodeData(one, out int written));
        Assert.Equal(1, written);
        Assert.Equal((byte)'A', one[0]);
    }

    [Theory]
    [InlineData("""{"stream_type":"audio","data":"AA==","sample_rate":-1}""", "payload.sample_rate")]
    [InlineData("""{"stream_type":"audio","data":"AA==","channels":"2"}""", "payload.channels")]
    [InlineData("""{"stream_type":"audio","data":"AA==","chunk_index":1.5}""", "payload.chunk_index")]
    [InlineData("""{"stream_type":"audio","data":"AA==","codec":7}""", "payload.codec")]
    [InlineData("""{"stream_type":5,"data":"AA=="}""", "payload.stream_type")]
    public void Rejects_wrong_field_types(string payload, string field)
    {
        byte[] json = Encoding.UTF8.GetBytes($$$"""{"type":"event","payload":{"event":"x","p":{{{payload}}}}}""");
        Assert.True(EnvelopeReader.TryRead(json, out MeshEnvelope env, out _));
        Assert.True(env.Payload.TryGetProperty("p"u8, out Utf8JsonSlice inner));
        Assert.False(StreamChunk.TryRead(inner, out _, out ProtocolError error));
        Assert.Equal(ProtocolErrorCode.InvalidField, error.Code);
        Assert.Equal(field, error.Field);
    }
}
