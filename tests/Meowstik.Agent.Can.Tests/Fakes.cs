using System.Text.Json;
using Meowstik.Agent.Testing;
using Meowstik.Protocol;

namespace Meowstik.Agent.Can.Tests;

/// <summary>A bus that records what is sent to it.</summary>
internal sealed class RecordingSender : ICanFrameSender
{
    public List<CanFrame> Sent { get; } = [];

    public ValueTask SendAsync(CanFrame frame, CancellationToken cancellationToken)
    {
        Sent.Add(frame);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A source fed by the test.</summary>
internal sealed class ListSource(params CanFrame[] frames) : ICanFrameSource
{
    public string InterfaceName => "vcan0";

    public async IAsyncEnumerable<CanFrame> ReadFramesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (CanFrame f in frames)
        {
            await Task.Yield();
            yield return f;
        }
    }
}

internal static class Commands
{
    public static readonly RecordingMeshPublisher Publisher = new("car-001");

    public static CommandContext Context(string action, string paramsJson, string from = "phone-001", CommandKind kind = CommandKind.Command)
    {
        JsonElement p = JsonDocument.Parse(paramsJson).RootElement.Clone();
        JsonElement payload = JsonDocument.Parse($$"""{"action":"{{action}}","params":{{paramsJson}}}""").RootElement.Clone();
        return new CommandContext(kind, action, "msg_1", from, p, payload, Publisher);
    }

    public static async Task<CommandResult> Run(this IMeshCapability capability, string action, string paramsJson = "{}", string from = "phone-001", CommandKind kind = CommandKind.Command) =>
        await capability.HandleAsync(Context(action, paramsJson, from, kind), CancellationToken.None);

    public static JsonElement Json(this CommandResult result)
    {
        Assert.True(result.IsSuccess, $"{result.ErrorCode}: {result.ErrorMessage}");
        return JsonDocument.Parse(result.Result.Utf8).RootElement;
    }

    public static CanFrame Frame(string compact, long micros = 0)
    {
        Assert.True(CandumpFormat.TryParseFrame(compact, micros, out CanFrame f), compact);
        return f;
    }
}
