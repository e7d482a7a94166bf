using Meowstik.Agent;

namespace MinimalAgent;

/// <summary>A capability every device can offer: liveness and basic facts about the machine.</summary>
internal sealed class SystemCapability : MeshCapability
{
    public SystemCapability()
        : base("system")
    {
        HandleQuery("ping", _ => CommandResult.Ok(w => w.WriteString("pong", DateTimeOffset.UtcNow.ToString("O"))));
        HandleQuery("info", _ => CommandResult.Ok(w =>
        {
            w.WriteString("os", Environment.OSVersion.ToString());
            w.WriteNumber("processors", Environment.ProcessorCount);
            w.WriteString("machine", Environment.MachineName);
        }));
    }
}
