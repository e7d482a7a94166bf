using System.Buffers;
using System.Text;
using Meowstik.Agent;

namespace Meowstik.Agent.Tests.Connection;

public class InboundIdsTests
{
    [Theory]
    [InlineData("""{"type":"bogus","id":"msg_1_a"}""", "msg_1_a")]
    [InlineData("""{"payload":{"id":"inner"},"id":"msg_2_b","type":1}""", "msg_2_b")]
    [InlineData("""{"id":"msg_3_c","type":""", "msg_3_c")]
    [InlineData("""{"type":"command"}""", null)]
    [InlineData("""{"id":42}""", null)]
    [InlineData("""[1,2]""", null)]
    [InlineData("""not json""", null)]
    public void Recovers_a_top_level_string_id_when_there_is_one(string json, string? expected)
    {
        Assert.Equal(expected, InboundIds.TryExtractId(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json))));
    }
}
