using System.Text.Json;

namespace Meowstik.Protocol.Tests.Support;

/// <summary>The language-neutral conformance vectors in tests/vectors (copied next to the test assembly).</summary>
public static class VectorFiles
{
    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "vectors");

    public static TheoryData<string> Valid => Names("valid");

    public static TheoryData<string> Invalid => Names("invalid");

    public static byte[] Message(string kind, string name) => File.ReadAllBytes(Path.Combine(Root, kind, name + ".json"));

    public static JsonElement Expected(string kind, string name)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Root, kind, name + ".expected.json")));
        return doc.RootElement.Clone();
    }

    /// <summary>Limits from a sidecar's optional <c>limits</c> object (snake_case keys), else the defaults.</summary>
    public static ProtocolLimits Limits(JsonElement expected)
    {
        if (!expected.TryGetProperty("limits", out JsonElement limits)) return ProtocolLimits.Default;
        var defaults = ProtocolLimits.Default;
        return new ProtocolLimits
        {
            MaxMessageBytes = limits.TryGetProperty("max_message_bytes", out JsonElement m) ? m.GetInt32() : defaults.MaxMessageBytes,
            MaxDepth = limits.TryGetProperty("max_depth", out JsonElement d) ? d.GetInt32() : defaults.MaxDepth,
            MaxIdBytes = limits.TryGetProperty("max_id_bytes", out JsonElement i) ? i.GetInt32() : defaults.MaxIdBytes,
        };
    }

    private static TheoryData<string> Names(string kind)
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.EnumerateFiles(Path.Combine(Root, kind), "*.expected.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file)[..^".expected.json".Length]);
        }
        return data;
    }
}
