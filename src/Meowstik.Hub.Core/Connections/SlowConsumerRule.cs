namespace Meowstik.Hub.Core;

/// <summary>Which rule closed a connection as a slow consumer (the <c>rule</c> tag of <c>meowstik.hub.slow_consumers</c>).</summary>
internal enum SlowConsumerRule
{
    /// <summary><c>write_deadline</c>: a write to the connection made no progress within <see cref="MeshHubOptions.WriteDeadline"/>.</summary>
    WriteDeadline,

    /// <summary><c>max_pending</c>: its backlog exceeded <see cref="MeshHubOptions.MaxPendingBytes"/>.</summary>
    MaxPending,
}
