using System.Text.Json;
using System.Text.Json.Serialization;
using Meowstik.Agent;

namespace Meowstik.Agent.Tests.Capabilities;

public sealed record GpsFix(double Lat, double Lng);

[JsonSerializable(typeof(GpsFix))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
public sealed partial class TestJsonContext : JsonSerializerContext;

public class MeshJsonTests
{
    [Fact]
    public void Object_writes_the_braces_for_you()
    {
        MeshJson json = MeshJson.Object(w => w.WriteNumber("speed_mph", 65));
        Assert.Equal("""{"speed_mph":65}""", json.ToString());
        Assert.Equal(65, json.ToElement().GetProperty("speed_mph").GetInt32());
    }

    [Fact]
    public void Value_must_write_exactly_one_complete_value()
    {
        Assert.Throws<ArgumentException>(() => MeshJson.Value(_ => { }));
        Assert.Throws<ArgumentException>(() => MeshJson.Value(w => w.WriteStartObject()));
        Assert.Equal("[1,2]", MeshJson.Value(w => { w.WriteStartArray(); w.WriteNumberValue(1); w.WriteNumberValue(2); w.WriteEndArray(); }).ToString());
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{} {}")]
    [InlineData("")]
    [InlineData("{\"a\":}")]
    public void Raw_rejects_malformed_json(string text)
    {
        Assert.Throws<ArgumentException>(() => MeshJson.Raw(text));
    }

    [Fact]
    public void Raw_keeps_valid_json_verbatim()
    {
        MeshJson json = MeshJson.Raw("""{"gps":{"lat":47.1234,"lng":-122.5678}}""");
        Assert.Equal(47.1234, json.ToElement().GetProperty("gps").GetProperty("lat").GetDouble());
    }

    [Fact]
    public void From_uses_source_generated_metadata()
    {
        MeshJson json = MeshJson.From(new GpsFix(47.1, -122.5), TestJsonContext.Default.GpsFix);
        Assert.Equal("""{"lat":47.1,"lng":-122.5}""", json.ToString());
    }

    [Fact]
    public void From_element_copies_and_none_is_empty()
    {
        JsonElement element = JsonDocument.Parse("""[true,null]""").RootElement;
        Assert.Equal("[true,null]", MeshJson.From(element).ToString());
        Assert.True(MeshJson.From(default).IsNone);
        Assert.True(MeshJson.None.IsNone);
        Assert.Equal(JsonValueKind.Undefined, MeshJson.None.ToElement().ValueKind);
        Assert.Equal("null", MeshJson.Null.ToString());
    }
}
