using System.Text;
using System.Text.Json;
using Meowstik.Protocol;
using Meowstik.Protocol.Tests.Support;

namespace Meowstik.Protocol.Tests;

/// <summary>The action naming rule, checked against tests/vectors/action-names.json.</summary>
public class ActionNameVectorTests
{
    private static JsonElement Vectors()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(VectorFiles.Root, "action-names.json")));
        return doc.RootElement.Clone();
    }

    [Fact]
    public void The_limit_is_the_documented_one() => Assert.Equal(ActionName.MaxLength, Vectors().GetProperty("max_length").GetInt32());

    [Fact]
    public void Every_valid_name_is_accepted_as_chars_and_as_utf8()
    {
        foreach (JsonElement item in Vectors().GetProperty("valid").EnumerateArray())
        {
            string name = item.GetString()!;
            Assert.True(ActionName.IsValid(name), name);
            Assert.True(ActionName.IsValid(Encoding.UTF8.GetBytes(name)), name);
            Assert.Null(ActionName.Validate(name));
        }
    }

    [Fact]
    public void Every_invalid_name_is_refused_with_a_reason()
    {
        foreach (JsonElement item in Vectors().GetProperty("invalid").EnumerateArray())
        {
            string name = item.GetProperty("name").GetString()!;
            Assert.False(ActionName.IsValid(name), name);
            Assert.False(ActionName.IsValid(Encoding.UTF8.GetBytes(name)), name);
            Assert.NotNull(ActionName.Validate(name));
        }
    }

    [Fact]
    public void A_dotted_action_belongs_to_the_capability_its_prefix_names()
    {
        foreach (JsonElement item in Vectors().GetProperty("ownership").EnumerateArray())
        {
            string capability = item.GetProperty("capability").GetString()!;
            string action = item.GetProperty("action").GetString()!;
            bool owned = !ActionName.TryGetCapability(action, out ReadOnlySpan<char> prefix) || prefix.SequenceEqual(capability);
            Assert.True(item.GetProperty("allowed").GetBoolean() == owned, $"{capability} / {action}");
        }
    }

    [Fact]
    public void The_reason_names_the_broken_part()
    {
        Assert.Contains("more than one dot", ActionName.Validate("car.can.send"));
        Assert.Contains("verb part", ActionName.Validate("can.Send"));
        Assert.Contains("capability part", ActionName.Validate("Can.send"));
        Assert.True(ActionName.IsValidSegment("can_bus"));
        Assert.False(ActionName.IsValidSegment("can.bus"));
    }
}
