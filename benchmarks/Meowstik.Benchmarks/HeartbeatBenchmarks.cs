using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using System.Text.Json;
using Meowstik.Benchmarks.Baseline;
using Meowstik.Protocol;

namespace Meowstik.Benchmarks;

/// <summary>A heartbeat (178 B): encode and decode, against System.Text.Json's source-generated serializer.</summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MinColumn]
[MedianColumn]
public class HeartbeatBenchmarks
{
    private readonly PooledBufferWriter _output = new(1024);
    private readonly EnvelopeWriter _writer = new();
    private readonly BaselineWriter _baseline = new(1024);
    private readonly HeartbeatMessage _poco = new()
    {
        Id = "msg_1705678234567_abc123",
        From = "desktop-001",
        Timestamp = SampleMessages.Timestamp,
        Payload = new HeartbeatBody { UptimeSeconds = 3600, MemoryMb = 256, CpuPercent = 5 },
    };

    [Benchmark(Baseline = true), BenchmarkCategory("Encode")]
    public int SystemTextJson_Encode()
    {
        JsonSerializer.Serialize(_baseline.Reset(), _poco, BaselineJsonContext.Default.HeartbeatMessage);
        return _baseline.Output.WrittenCount;
    }

    [Benchmark, BenchmarkCategory("Encode")]
    public int Meowstik_Encode()
    {
        _output.Clear();
        var header = new EnvelopeHeader(MessageType.Heartbeat) { Id = "msg_1705678234567_abc123"u8, From = "desktop-001"u8, Timestamp = SampleMessages.Timestamp };
        Utf8JsonWriter json = _writer.BeginEnvelope(_output, header);
        HeartbeatPayload.Write(json, new HeartbeatPayload(3600, 256, 5));
        _writer.EndEnvelope();
        return _output.WrittenCount;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Decode")]
    public long SystemTextJson_Decode()
    {
        HeartbeatMessage message = JsonSerializer.Deserialize(SampleMessages.Heartbeat, BaselineJsonContext.Default.HeartbeatMessage)!;
        return message.Payload!.UptimeSeconds;
    }

    [Benchmark, BenchmarkCategory("Decode")]
    public long Meowstik_Decode()
    {
        if (!EnvelopeReader.TryRead(SampleMessages.Heartbeat, out MeshEnvelope envelope, out _)) return -1;
        if (!HeartbeatPayload.TryRead(envelope.Payload, out HeartbeatPayload heartbeat, out _)) return -1;
        return heartbeat.UptimeSeconds;
    }
}
