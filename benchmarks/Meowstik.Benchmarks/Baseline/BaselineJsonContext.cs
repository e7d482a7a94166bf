using System.Text.Json.Serialization;

namespace Meowstik.Benchmarks.Baseline;

/// <summary>The System.Text.Json source-generated baseline (snake_case names, nulls omitted, like the wire format).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HeartbeatMessage))]
[JsonSerializable(typeof(CommandMessage))]
[JsonSerializable(typeof(StreamMessage))]
public sealed partial class BaselineJsonContext : JsonSerializerContext;
