using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using System.Text.Json;
using Meowstik.Benchmarks.Baseline;
using Meowstik.Protocol;

namespace Meowstik.Benchmarks;

/// <summary>The Alexa speak command (230 B): encode and decode, against System.Text.Json's source-generated serializer.</summary>
/// <remarks>The mesh decoder validates the envelope and the command payload and slices params lazily; the baseline materialises everything.</remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MinColumn]
[MedianColumn]
public class CommandBenchmarks
{
    private readonly PooledBufferWriter _output = new(1024);
    private readonly EnvelopeWriter _writer = new();
    private readonly BaselineWriter _baseline = new(1024);
    private readonly CommandMessage _poco = new()
    {
        Id = "msg_1705678234567_abc123",
        From = "hub",
        To = "alexa-001",
        Timestamp = SampleMessages.Timestamp,
        Payload = new CommandBody { Action = "speak", Params = new SpeakParams { Text = "Jason, wake up. You have a meeting in 15 minutes.", Volume = 80 } },
    };

    [Benchmark(Baseline = true), BenchmarkCategory("Encode")]
    public int SystemTextJson_Encode()
    {
        JsonSerializer.Serialize(_baseline.Reset(), _poco, BaselineJsonContext.Default.CommandMessage);
        return _baseline.Output.WrittenCount;
    }

    [Benchmark, BenchmarkCategory("Encode")]
    public int Meowstik_Encode()
    {
        _output.Clear();
        var header = new EnvelopeHeader(MessageType.Command) { Id = "msg_1705678234567_abc123"u8, From = "hub"u8, To = "alexa-001"u8, Timestamp = SampleMessages.Timestamp };
        Utf8JsonWriter json = _writer.BeginEnvelope(_output, header);
        CommandPayload.Write(json, "speak"u8, SampleMessages.CommandParams);
        _writer.EndEnvelope();
        return _output.WrittenCount;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Decode")]
    public int SystemTextJson_Decode()
    {
        CommandMessage message = JsonSerializer.Deserialize(SampleMessages.Command, BaselineJsonContext.Default.CommandMessage)!;
        return message.Payload!.Action!.Length + message.To!.Length;
    }

    [Benchmark, BenchmarkCategory("Decode")]
    public long Meowstik_Decode()
    {
        if (!EnvelopeReader.TryRead(SampleMessages.Command, out MeshEnvelope envelope, out _)) return -1;
        if (!CommandPayload.TryRead(envelope, out CommandPayload command, out _)) return -1;
        return command.Action.RawStringLength + envelope.To.RawStringLength + command.Params.Length;
    }
}
