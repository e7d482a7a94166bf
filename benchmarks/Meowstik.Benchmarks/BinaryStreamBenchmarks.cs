using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Meowstik.Protocol;

namespace Meowstik.Benchmarks;

/// <summary>
/// One 1280×720 JPEG frame (120,000 bytes, about what a 720p frame at quality 80 weighs) sent and received as a JSON
/// stream chunk with base64 data against a <c>binary_streams</c> frame: the CPU per frame here, the bytes on the wire in
/// <see cref="WireBytes"/> (printed at setup).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MedianColumn]
public class BinaryStreamBenchmarks
{
    private const int FrameBytes = 120_000;
    private readonly byte[] _frame = new byte[FrameBytes];
    private readonly byte[] _received = new byte[FrameBytes + 3];
    private readonly PooledBufferWriter _output = new(256 * 1024);
    private readonly EnvelopeWriter _envelope = new();
    private readonly BinaryStreamFrameWriter _frames = new();
    private byte[] _json = [];
    private byte[] _binary = [];

    /// <summary>The two encodings of the frame: (JSON with base64, binary frame) in bytes.</summary>
    public (int Json, int Binary) WireBytes => (_json.Length, _binary.Length);

    [GlobalSetup]
    public void Setup()
    {
        new Random(720).NextBytes(_frame);
        _json = EncodeJson().ToArray();
        _binary = EncodeBinary().ToArray();
        Console.WriteLine($"// wire bytes per 720p frame of {FrameBytes:N0} B: JSON+base64 {_json.Length:N0} B, binary frame {_binary.Length:N0} B");
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Send")]
    public int Send_Base64Json() => EncodeJson().Length;

    [Benchmark, BenchmarkCategory("Send")]
    public int Send_BinaryFrame() => EncodeBinary().Length;

    [Benchmark(Baseline = true), BenchmarkCategory("Receive")]
    public int Receive_Base64Json()
    {
        if (!EnvelopeReader.TryRead(_json, out MeshEnvelope envelope, out _)) return -1;
        if (!StreamChunk.TryRead(envelope.Payload, out StreamChunk chunk, out _)) return -1;
        return chunk.TryDecodeData(_received, out int written) ? written : -1;
    }

    [Benchmark, BenchmarkCategory("Receive")]
    public int Receive_BinaryFrame()
    {
        if (!BinaryStreamFrame.TryRead(_binary, out BinaryStreamFrame frame, out _)) return -1;
        if (!frame.TryReadMetadata(out _, out _)) return -1;
        return frame.TryCopyDataTo(_received, out int written) ? written : -1;
    }

    private ReadOnlySpan<byte> EncodeJson()
    {
        _output.Clear();
        Utf8JsonWriter json = _envelope.BeginEnvelope(_output, Header);
        StreamChunk.Write(json, Metadata, _frame);
        _envelope.EndEnvelope();
        return _output.WrittenSpan;
    }

    private ReadOnlySpan<byte> EncodeBinary()
    {
        _output.Clear();
        _frames.Write(_output, Header, Metadata, _frame);
        return _output.WrittenSpan;
    }

    private static EnvelopeHeader Header => new(MessageType.Stream) { Id = "msg_1705678234567_abc123"u8, From = "dashcam-001"u8, Timestamp = SampleMessages.Timestamp };

    private static StreamChunkMetadata Metadata => new("video"u8) { Codec = "jpeg"u8, Width = 1280, Height = 720, FrameIndex = 1234 };
}
