using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using System.Text.Json;
using Meowstik.Benchmarks.Baseline;
using Meowstik.Protocol;

namespace Meowstik.Benchmarks;

/// <summary>
/// A video-frame chunk with 64 KiB of data (87,598 B of JSON): encode (base64 straight into the output) and
/// decode + validate + base64-decode, from one buffer and from 4 KiB segments as the receive pipe delivers it.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MinColumn]
[MedianColumn]
public class StreamChunkBenchmarks
{
    private readonly PooledBufferWriter _output = new(128 * 1024);
    private readonly EnvelopeWriter _writer = new();
    private readonly BaselineWriter _baseline = new(128 * 1024);
    private readonly byte[] _decoded = new byte[64 * 1024 + 3];
    private readonly ReadOnlySequence<byte> _segmented = SegmentedBuffer.Create(SampleMessages.VideoFrame, 4096);
    private readonly StreamMessage _poco = new()
    {
        Id = "msg_1705678234567_abc123",
        From = "desktop-001",
        Timestamp = SampleMessages.Timestamp,
        Payload = new StreamBody { StreamType = "video", Codec = "jpeg", Width = 1920, Height = 1080, FrameIndex = 1234, Data = SampleMessages.FrameBytes },
    };

    [Benchmark(Baseline = true), BenchmarkCategory("Encode")]
    public int SystemTextJson_Encode()
    {
        JsonSerializer.Serialize(_baseline.Reset(), _poco, BaselineJsonContext.Default.StreamMessage);
        return _baseline.Output.WrittenCount;
    }

    [Benchmark, BenchmarkCategory("Encode")]
    public int Meowstik_Encode()
    {
        _output.Clear();
        var header = new EnvelopeHeader(MessageType.Stream) { Id = "msg_1705678234567_abc123"u8, From = "desktop-001"u8, Timestamp = SampleMessages.Timestamp };
        Utf8JsonWriter json = _writer.BeginEnvelope(_output, header);
        StreamChunk.Write(json, new StreamChunkMetadata("video"u8) { Codec = "jpeg"u8, Width = 1920, Height = 1080, FrameIndex = 1234 }, SampleMessages.FrameBytes);
        _writer.EndEnvelope();
        return _output.WrittenCount;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Decode")]
    public int SystemTextJson_Decode()
    {
        StreamMessage message = JsonSerializer.Deserialize(SampleMessages.VideoFrame, BaselineJsonContext.Default.StreamMessage)!;
        return message.Payload!.Data!.Length;
    }

    [Benchmark, BenchmarkCategory("Decode")]
    public int Meowstik_Decode()
    {
        if (!EnvelopeReader.TryRead(SampleMessages.VideoFrame, out MeshEnvelope envelope, out _)) return -1;
        if (!StreamChunk.TryRead(envelope.Payload, out StreamChunk chunk, out _)) return -1;
        return chunk.TryDecodeData(_decoded, out int written) ? written : -1;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("DecodeSegmented")]
    public int SystemTextJson_DecodeSegmented()
    {
        var reader = new Utf8JsonReader(_segmented);
        StreamMessage message = JsonSerializer.Deserialize(ref reader, BaselineJsonContext.Default.StreamMessage)!;
        return message.Payload!.Data!.Length;
    }

    [Benchmark, BenchmarkCategory("DecodeSegmented")]
    public int Meowstik_DecodeSegmented()
    {
        if (!EnvelopeReader.TryRead(_segmented, out MeshEnvelope envelope, out _)) return -1;
        if (!StreamChunk.TryRead(envelope.Payload, out StreamChunk chunk, out _)) return -1;
        return chunk.TryDecodeData(_decoded, out int written) ? written : -1;
    }
}
