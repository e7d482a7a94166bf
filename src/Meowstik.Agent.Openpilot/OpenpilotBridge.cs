namespace Meowstik.Agent.Openpilot;

/// <summary>The port rule of openpilot's <c>bridge</c> program (msgq → ZMQ): one PUB socket per service.</summary>
public static class OpenpilotBridge
{
    /// <summary>The lowest port: 8023.</summary>
    public const int BasePort = 8023;

    /// <summary>The port the bridge publishes <paramref name="service"/> on: 8023 + FNV-1a-64(name) % (65535 − 8023).</summary>
    /// <param name="service">The service, e.g. <c>carState</c> (→ 9041).</param>
    /// <returns>The TCP port.</returns>
    public static int Port(string service)
    {
        ArgumentNullException.ThrowIfNull(service);
        ulong hash = 0xcbf29ce484222325;
        foreach (char c in service)
        {
            hash ^= (byte)c;
            hash *= 0x100000001b3;
        }

        return BasePort + (int)(hash % (65535 - BasePort));
    }
}
